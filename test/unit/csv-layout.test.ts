import { Catalogue } from '../../src/ingest/catalogue';
import { detectLayout } from '../../src/ingest/csv-layout';

const catalogue = new Catalogue(
  [],
  [
    { id: 1, code: 'full_online_rate', name: '全程网办率', unit: '%', kind: 'percent', alert: 99, benchmark: 100, headerAliases: ['网上办理率'] },
    { id: 2, code: 'satisfaction_rate', name: '好评率', unit: '%', kind: 'percent', alert: 99.8, benchmark: 100 },
    { id: 3, code: 'hotline_ontime_rate', name: '12345 按时办结率', unit: '%', kind: 'percent', alert: 99, benchmark: 100 },
    { id: 4, code: 'items', name: '办件量', unit: '件', kind: 'count', alert: null, benchmark: null },
  ],
);

const columns = (header: string[], wanted: 'auto' | 'long' | 'wide' = 'auto') => {
  const r = detectLayout(header, catalogue, wanted);
  if (!r.ok) throw new Error(r.message);
  return {
    layout: r.layout.layout,
    read: r.layout.layout === 'wide' ? r.layout.indicators.map((c) => c.label) : [header[r.layout.value]],
    ignored: r.layout.ignored.map((c) => `${c.header}:${c.reason}${c.suggestion ? `→${c.suggestion}` : ''}`),
  };
};
const refusal = (header: string[], wanted: 'auto' | 'long' | 'wide' = 'auto') => {
  const r = detectLayout(header, catalogue, wanted);
  return r.ok ? 'accepted' : r.message;
};

describe('detectLayout', () => {
  it('finds a long layout from Chinese or English headers', () => {
    expect(detectLayout(['单位', '指标', '日期', '数值'], catalogue, 'auto')).toEqual({
      ok: true,
      layout: { layout: 'long', width: 4, unit: 0, indicator: 1, day: 2, value: 3, ignored: [] },
    });
    expect(detectLayout(['\uFEFFday', 'value', 'unit', 'indicator'], catalogue, 'auto')).toMatchObject({
      ok: true,
      layout: { layout: 'long', unit: 2, indicator: 3, day: 0, value: 1 },
    });
  });

  it('matches headers whatever their width, spacing and case, with the indicator’s own unit in brackets or an alias', () => {
    expect(columns(['单位名称', '全程网办率(%)', '全程网办率（％）', 'SATISFACTION_RATE', '１２３４５ 按时办结率', '12345按时办结率', '办件量（件）', '网上办理率']).read).toEqual([
      '全程网办率(%)',
      '全程网办率（％）',
      'SATISFACTION_RATE',
      '１２３４５ 按时办结率',
      '12345按时办结率',
      '办件量（件）',
      '网上办理率',
    ]);
  });

  it('reports every column it does not read, with why, and the indicator a slip probably meant', () => {
    expect(columns(['单位', '全程网办率', '全程网办率（去年同期）', '好评律', '群众满意度', '', '备注', '办件量（%）'])).toEqual({
      layout: 'wide',
      read: ['全程网办率'],
      ignored: [
        '全程网办率（去年同期）:unknown_indicator',
        '好评律:unknown_indicator→好评率',
        '群众满意度:unknown_indicator',
        ':empty_header',
        '备注:unknown_indicator',
        '办件量（%）:unknown_indicator',
      ],
    });
    expect(columns(['单位', '指标', '数值', '备注']).ignored).toEqual(['备注:not_used']);
  });

  it('refuses a header that fits both layouts unless the source says which, and then reports the other columns', () => {
    expect(refusal(['单位', '指标', '数据', '全程网办率'])).toMatch(/无法判断按哪种格式读取；请在数据源配置中写明 layout: long 或 layout: wide/);
    expect(columns(['单位', '指标', '数据', '全程网办率'], 'wide')).toEqual({ layout: 'wide', read: ['全程网办率'], ignored: ['指标:not_used', '数据:not_used'] });
    expect(columns(['单位', '指标', '数据', '全程网办率'], 'long')).toEqual({ layout: 'long', read: ['数据'], ignored: ['全程网办率:not_used'] });
  });

  it('refuses two columns of one role rather than pick one', () => {
    expect(refusal(['单位', '指标', '数值', '值'])).toMatch(/有 2 列都是“数值”列（第 3 列 数值、第 4 列 值）/);
    expect(refusal(['单位', '指标', '指标代码', '数值'])).toMatch(/都是“指标”列/);
    expect(refusal(['单位', '单位代码', '全程网办率'])).toMatch(/都是“单位”列/);
  });

  it('says what header it saw when it recognises none', () => {
    expect(refusal(['名称', '数量'])).toContain('名称, 数量');
    expect(refusal(['单位', '全程网办率'], 'long')).toContain('长表需要');
    expect(refusal(['单位', '全程网上办率'])).toContain('“全程网上办率”是否应为“全程网办率”');
  });
});
