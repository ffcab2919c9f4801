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

/** e.g. 宁国市 全程网办率 97.2%，低于预警值 99%，已连续 3 个工作日 */
export function explainThreshold(f: ThresholdFacts): string {
  const side = f.op === 'below' ? '低于' : '高于';
  const what = f.isAlertValue ? '预警值' : '阈值';
  const streak = f.days > 1 ? `，已连续 ${f.days} 个工作日` : '';
  return `${f.unitName} ${f.indicatorName} ${formatValue(f.value, f.unit)}，${side}${what} ${formatValue(f.threshold, f.unit)}${streak}`;
}

/** e.g. 泾县 好评率 未报送数据，已连续 2 个工作日 */
export function explainMissing(f: { unitName: string; indicatorName: string; days: number }): string {
  return `${f.unitName} ${f.indicatorName} 未报送数据${f.days > 1 ? `，已连续 ${f.days} 个工作日` : ''}`;
}
