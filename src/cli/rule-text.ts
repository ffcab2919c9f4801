import type { RuleDefinition } from '../config/rules-schema';

/** A rule's kind and parameters as the operator reads them in `rules list` and `rules history`, never as JSON. */
export const RULE_KIND_LABELS: Record<RuleDefinition['kind'], string> = {
  threshold: '阈值',
  change: '变化',
  baseline: '基线',
  missing: '缺报',
  rank: '排名',
};

/** `indicatorName`: an indicator's Chinese name by code (a code it does not know is shown as it is). */
export function describeRule(r: RuleDefinition, indicatorName: (code: string) => string | undefined = () => undefined): string {
  const what = (() => {
    switch (r.kind) {
      case 'threshold':
        return r.op === undefined ? `未达${r.value ?? '预警值'}（按指标方向）` : `${r.op === 'above' ? '高于' : '低于'} ${r.value ?? '预警值'}`;
      case 'change':
        return `较${r.compare === 'previous_working_day' ? '上一工作日' : '上周同日'}变差 ${r.by}${r.unit === 'points' ? ' 个百分点' : '%'}及以上${r.minBase > 0 ? `（基数低于 ${r.minBase} 不判断）` : ''}`;
      case 'baseline':
        return `明显偏离近 ${r.window} 个工作日${r.sameWeekday ? '同星期几' : ''}的正常水平（稳健 z 值超过 ${r.z}，且偏离至少 ${r.minDeviation}；不足 ${r.minHistory} 天数据不判断）`;
      case 'missing':
        return `近 ${r.ofLast} 个工作日中报送过至少 ${r.minReported} 天、当天却未报送`;
      case 'rank':
        return `同类单位中排名倒数 ${r.bottom} 位（至少 ${r.minPeers} 个单位参与排名）`;
    }
  })();
  const indicators = r.indicators === 'all' ? '全部指标' : `指标 ${r.indicators.map((c) => indicatorName(c) ?? c).join('、')}`;
  const scope = r.scope === 'all' ? '全部单位' : 'kinds' in r.scope ? `${r.scope.kinds.map((k) => ({ city: '市', county: '县（市、区）', department: '部门' })[k]).join('、')}` : `单位 ${r.scope.units.join('、')}`;
  const streak = r.for > 1 ? `，连续 ${r.for} 个工作日` : '';
  return `${RULE_KIND_LABELS[r.kind]}：${what}${streak}；${indicators}；${scope}；${r.severity === 'major' ? '重大' : '一般'}`;
}
