import { rulesFileSchema } from '../../src/config/rules-schema';
import { explainBaseline, explainChange, explainMissing, explainThreshold, formatValue } from '../../src/domain/anomaly-explanation';
import { diffRules, formatRuleChanges } from '../../src/domain/rule-diff';

const [a, b] = rulesFileSchema.parse({
  rules: [
    { id: 'below_alert', name: '低于预警值', kind: 'threshold' },
    { id: 'drop', name: '下降', kind: 'change', by: 2 },
  ],
}).rules;

describe('rule diff', () => {
  it('lists added, changed (field by field) and retired rules, and nothing for equal ones', () => {
    expect(diffRules([a!, b!], [a!, b!])).toEqual([]);
    const changes = diffRules([a!, b!], [{ ...b!, by: 3, severity: 'major' } as typeof b & object, { ...a!, id: 'new_rule' }]);
    expect(formatRuleChanges(changes)).toBe(
      ['~ 修改 drop（下降）', '    by: 2 → 3', '    severity: "warning" → "major"', '+ 新增 new_rule（低于预警值，threshold）', '- 停用 below_alert（低于预警值）'].join('\n'),
    );
    expect(formatRuleChanges([])).toContain('没有需要应用的变更');
  });
});

describe('anomaly explanations', () => {
  it('reads as the bureau writes it', () => {
    expect(
      explainThreshold({ unitName: '宁国市', indicatorName: '全程网办率', unit: '%', value: '97.20', threshold: '99', op: 'below', isAlertValue: true, days: 3 }),
    ).toBe('宁国市 全程网办率 97.2%，低于预警值 99%，已连续 3 个工作日');
    expect(explainThreshold({ unitName: '泾县', indicatorName: '超期件数', unit: '件', value: '4', threshold: '0', op: 'above', isAlertValue: false, days: 1 })).toBe(
      '泾县 超期件数 4 件，高于监测标准 0 件',
    );
    expect(explainMissing({ unitName: '旌德县', indicatorName: '好评率', days: 2 })).toBe('旌德县 好评率 未报送数据，已连续 2 个工作日');
    expect(formatValue('99.8000', '%')).toBe('99.8%');
    expect(
      explainChange({
        unitName: '泾县', indicatorName: '超期件数', unit: '件', value: '12', reference: '8', referenceDay: '2026-11-20',
        compare: 'same_weekday_last_week', direction: 'lower', days: 2,
      }),
    ).toBe('泾县 超期件数 12 件，较上周同一工作日（11月20日，8 件）上升 50%，已连续 2 个工作日');
    // The statistics stay with the anomaly's record; a department reads what they mean.
    const baseline = { unitName: '宁国市', indicatorName: '全程网办率', unit: '%', value: '96.1', median: '99.2', window: 20, sameWeekday: false, direction: 'higher' as const, days: 1 };
    expect(explainBaseline({ ...baseline, mad: '0.4' })).toBe('宁国市 全程网办率 96.1%，明显低于近 20 个工作日的正常水平（一般在 99.2% 左右）');
    expect(explainBaseline({ ...baseline, mad: '0', sameWeekday: true, window: 8, days: 2 })).toBe('宁国市 全程网办率 96.1%，明显低于近 8 周同一星期的正常水平（一直保持在 99.2%），已连续 2 个工作日');
  });
});
