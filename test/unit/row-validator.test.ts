import { Catalogue } from '../../src/ingest/catalogue';
import { validateRecord, ValidationContext } from '../../src/ingest/row-validator';
import type { RawRecord } from '../../src/ingest/source';

const catalogue = new Catalogue(
  [{ id: 1, code: 'ningguo', name: '宁国市', kind: 'county', aliases: ['宁国'] }],
  [
    { id: 10, code: 'full_online_rate', name: '全程网办率', unit: '%', kind: 'percent', alert: 99, benchmark: 100 },
    { id: 11, code: 'overdue_cases', name: '超期件数', unit: '件', kind: 'count', alert: null, benchmark: null },
  ],
);
const ctx: ValidationContext = { catalogue, day: '2026-11-26', today: '2026-11-27', percentScale: 'auto' };

function rec(overrides: Partial<RawRecord>): RawRecord {
  return { input: 0, line: 2, raw: 'x', unit: 'ningguo', indicator: 'full_online_rate', day: '2026-11-26', value: '99.5', ...overrides };
}

describe('validateRecord', () => {
  it('resolves units and indicators by code, name or alias, and percentages in every written form', () => {
    for (const [unit, indicator, value] of [
      ['ningguo', 'full_online_rate', '99.5'],
      ['宁国市', '全程网办率', '99.5%'],
      ['宁国', '全程网办率（%）', '0.995'],
    ] as const) {
      expect(validateRecord(rec({ unit, indicator, value }), ctx)).toEqual({ ok: true, unitId: 1, indicatorId: 10, value: '99.5' });
    }
  });

  it('reads a day-less record as the day being ingested', () => {
    expect(validateRecord(rec({ day: null }), ctx).ok).toBe(true);
  });

  it('follows the source setting for percentages without a % sign', () => {
    expect(validateRecord(rec({ value: '0.5' }), { ...ctx, percentScale: 'percent' })).toMatchObject({ value: '0.5' });
    expect(validateRecord(rec({ value: '0.5' }), ctx)).toMatchObject({ value: '50' });
    expect(validateRecord(rec({ value: '0.5' }), { ...ctx, percentScale: 'fraction' })).toMatchObject({ value: '50' });
  });

  it('accepts the percentage bounds themselves', () => {
    expect(validateRecord(rec({ value: '100' }), ctx)).toMatchObject({ ok: true, value: '100' });
    expect(validateRecord(rec({ value: '0' }), ctx)).toMatchObject({ ok: true, value: '0' });
    expect(validateRecord(rec({ indicator: 'overdue_cases', value: '0' }), ctx)).toMatchObject({ ok: true, value: '0' });
  });

  it.each<[string, Partial<RawRecord>, string]>([
    ['cell_count', { fault: { reason: 'cell_count', message: '该行有 2 个单元格，表头有 4 个' } }, '该行有 2 个单元格'],
    ['unknown_unit', { unit: '火星市' }, '火星市'],
    ['unknown_indicator', { indicator: '幸福指数' }, '幸福指数'],
    ['empty_value', { value: '' }, '为空'],
    ['not_numeric', { value: '九十九' }, '不是数字'],
    ['not_finite', { value: 'NaN' }, '不是有限数'],
    ['percent_out_of_range', { value: '100.5' }, '0–100'],
    ['percent_out_of_range', { value: '-1' }, '0–100'],
    ['negative_count', { indicator: 'overdue_cases', value: '-2' }, '不能为负'],
    ['bad_day', { day: '2026-02-30' }, '无法识别'],
    ['future_day', { day: '2026-11-28' }, '晚于今天'],
    ['wrong_day', { day: '2026-11-25' }, '不是本次采集的日期'],
  ])('rejects with %s', (reason, overrides, text) => {
    const v = validateRecord(rec(overrides), ctx);
    expect(v).toMatchObject({ ok: false, reason });
    expect(v.ok ? '' : v.message).toContain(text);
  });
});
