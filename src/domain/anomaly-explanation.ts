/** One-line explanations in Chinese, as the anomaly list and the letters show them. */

export function formatValue(value: string | number, unit: string): string {
  const n = typeof value === 'number' ? value : Number(value);
  const text = Number.isInteger(n) ? String(n) : String(Number(n.toFixed(4)));
  return unit === '%' ? `${text}%` : `${text}${unit ? ` ${unit}` : ''}`;
}

export interface ThresholdFacts {
  unitName: string;
  indicatorName: string;
  unit: string;
  value: string;
  threshold: string;
  op: 'below' | 'above';
  /** The threshold is the indicator's 预警值 (not a value the rule sets itself). */
  isAlertValue: boolean;
  days: number;
}

/**
 * e.g. 宁国市 全程网办率 97.2%，低于预警值 99%，已连续 3 个工作日. A rule's own limit is called 监测标准: every message a
 * unit reads says 预警值 only for the indicator's 预警值.
 */
export function explainThreshold(f: ThresholdFacts): string {
  const side = f.op === 'below' ? '低于' : '高于';
  const what = f.isAlertValue ? '预警值' : '监测标准';
  const streak = f.days > 1 ? `，已连续 ${f.days} 个工作日` : '';
  return `${f.unitName} ${f.indicatorName} ${formatValue(f.value, f.unit)}，${side}${what} ${formatValue(f.threshold, f.unit)}${streak}`;
}

/** e.g. 泾县 好评率 未报送数据，已连续 2 个工作日 */
export function explainMissing(f: { unitName: string; indicatorName: string; days: number }): string {
  return `${f.unitName} ${f.indicatorName} 未报送数据${f.days > 1 ? `，已连续 ${f.days} 个工作日` : ''}`;
}

export interface ChangeFacts {
  unitName: string;
  indicatorName: string;
  unit: string;
  value: string;
  reference: string;
  referenceDay: string;
  compare: 'previous_working_day' | 'same_weekday_last_week';
  direction: 'higher' | 'lower';
  days: number;
}

/** e.g. 宁国市 全程网办率 95.2%，较上一工作日（9月30日，98.5%）下降 3.3 个百分点 */
export function explainChange(f: ChangeFacts): string {
  const diff = Math.abs(Number(f.value) - Number(f.reference));
  const pct = Number(f.reference) === 0 ? 0 : (diff / Number(f.reference)) * 100;
  const moved = f.direction === 'higher' ? '下降' : '上升';
  const amount = f.unit === '%' ? `${formatNumber(diff)} 个百分点` : `${formatNumber(pct)}%`;
  const against = f.compare === 'previous_working_day' ? '较上一工作日' : '较上周同一工作日';
  const streak = f.days > 1 ? `，已连续 ${f.days} 个工作日` : '';
  const on = `${Number(f.referenceDay.slice(5, 7))}月${Number(f.referenceDay.slice(8, 10))}日`;
  return `${f.unitName} ${f.indicatorName} ${formatValue(f.value, f.unit)}，${against}（${on}，${formatValue(f.reference, f.unit)}）${moved} ${amount}${streak}`;
}

function formatNumber(n: number): string {
  return String(Number(n.toFixed(2)));
}

const PEER_GROUP: Record<'city' | 'county' | 'department', string> = { city: '市', county: '县（市、区）', department: '市直部门' };

/** e.g. 宁国市 全程网办率 97.2%，在 7 个县（市、区）中列倒数第 1 */
export function explainRank(f: {
  unitName: string;
  indicatorName: string;
  unit: string;
  value: string;
  unitKind: 'city' | 'county' | 'department';
  position: number;
  peers: number;
  days: number;
}): string {
  const streak = f.days > 1 ? `，已连续 ${f.days} 个工作日` : '';
  return `${f.unitName} ${f.indicatorName} ${formatValue(f.value, f.unit)}，在 ${f.peers} 个${PEER_GROUP[f.unitKind]}中列倒数第 ${f.position}${streak}`;
}

/**
 * e.g. 宁国市 全程网办率 96.1%，明显低于近 20 个工作日的正常水平（一般在 99.2% 左右）. The statistics that decided it
 * (median, MAD, robust z) stay with the rule and the anomaly's record; a department reads what they mean.
 */
export function explainBaseline(f: {
  unitName: string;
  indicatorName: string;
  unit: string;
  value: string;
  median: string;
  mad: string;
  window: number;
  sameWeekday: boolean;
  direction: 'higher' | 'lower';
  days: number;
}): string {
  const side = f.direction === 'higher' ? '低于' : '高于';
  const span = f.sameWeekday ? `近 ${f.window} 周同一星期` : `近 ${f.window} 个工作日`;
  const usual = Number(f.mad) === 0 ? `一直保持在 ${formatValue(f.median, f.unit)}` : `一般在 ${formatValue(f.median, f.unit)} 左右`;
  const streak = f.days > 1 ? `，已连续 ${f.days} 个工作日` : '';
  return `${f.unitName} ${f.indicatorName} ${formatValue(f.value, f.unit)}，明显${side}${span}的正常水平（${usual}）${streak}`;
}

/** One rule's finding on a problem's latest day, as the problem's line is made of them. */
export interface FactPart {
  /** The kind of rule. */
  kind: string;
  ruleId: string;
  explanation: string;
  unitName: string;
  indicatorName: string;
}

const KIND_ORDER = ['threshold', 'change', 'baseline', 'rank', 'missing'];

/**
 * A problem's one line from what its rules found on its latest day: the series and its value once, then each
 * finding; a finding another one repeats and extends is left out. e.g. 郎溪县 好差评主动评价率 97.4%，低于预警值 99%，
 * 已连续 3 个工作日；较上一工作日（11月26日，99.8%）下降 2.4 个百分点. For missing data: the unit and every indicator
 * it did not report.
 */
export function describeFact(parts: readonly FactPart[]): string {
  if (parts.length === 0) return '';
  const sorted = [...parts].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.ruleId.localeCompare(b.ruleId));
  if (sorted.every((p) => p.kind === 'missing')) {
    const names = [...new Set(sorted.map((p) => p.indicatorName))];
    return `${sorted[0]!.unitName} ${names.join('、')} 未报送数据`;
  }
  const split = sorted.filter((p) => p.kind !== 'missing').map((p) => {
    const at = p.explanation.indexOf('，');
    return at < 0 ? { head: p.explanation, clause: '' } : { head: p.explanation.slice(0, at), clause: p.explanation.slice(at + 1) };
  });
  const clauses = [...new Set(split.map((s) => s.clause).filter(Boolean))];
  const kept = clauses.filter((c) => !clauses.some((other) => other !== c && other.startsWith(c)));
  return kept.length > 0 ? `${split[0]!.head}，${kept.join('；')}` : split[0]!.head;
}
