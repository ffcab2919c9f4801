import { Catalogue } from '../../src/ingest/catalogue';
import { detectLayout } from '../../src/ingest/csv-layout';

const catalogue = new Catalogue(
  [],
  [
    { id: 1, code: 'full_online_rate', name: '全程网办率', unit: '%', kind: 'percent', alert: 99, benchmark: 100 },
    { id: 2, code: 'satisfaction_rate', name: '好评率', unit: '%', kind: 'percent', alert: 99.8, benchmark: 100 },
  ],
);

describe('detectLayout', () => {
  it('finds a long layout from Chinese or English headers', () => {
    expect(detectLayout(['单位', '指标', '日期', '数值'], catalogue, 'auto')).toEqual({
      ok: true,
      layout: { format: 'long', width: 4, unit: 0, indicator: 1, day: 2, value: 3 },
    });
    expect(detectLayout(['\uFEFFday', 'value', 'unit', 'indicator'], catalogue, 'auto')).toMatchObject({
      ok: true,
      layout: { format: 'long', unit: 2, indicator: 3, day: 0, value: 1 },
    });
  });

  it('finds a wide layout with indicator names or codes as columns and keeps note of the others', () => {
    expect(detectLayout(['单位名称', '全程网办率(%)', 'satisfaction_rate', '备注'], catalogue, 'auto')).toEqual({
      ok: true,
      layout: {
        format: 'wide',
        width: 4,
        unit: 0,
        day: null,
        indicators: [
          { column: 1, label: '全程网办率(%)' },
          { column: 2, label: 'satisfaction_rate' },
        ],
        ignoredColumns: ['备注'],
      },
    });
  });

  it('says what header it saw when it recognises none', () => {
    const r = detectLayout(['名称', '数量'], catalogue, 'auto');
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.message).toContain('名称, 数量');
    const long = detectLayout(['单位', '全程网办率'], catalogue, 'long');
    expect(long.ok ? '' : long.message).toContain('长表需要');
  });
});
