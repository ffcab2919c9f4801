import { Catalogue, normalizeLabel } from './catalogue';

/**
 * Where the unit, indicator, day and value sit in a CSV, decided from its header row. Long files have one value per
 * row; wide files have one row per unit and one column per indicator (as Excel reports are usually laid out).
 */
export type CsvLayout =
  | { format: 'long'; width: number; unit: number; indicator: number; day: number | null; value: number }
  | {
      format: 'wide';
      width: number;
      unit: number;
      day: number | null;
      indicators: Array<{ column: number; label: string }>;
      ignoredColumns: string[];
    };

const SYNONYMS = {
  unit: ['单位', '单位名称', '单位代码', '地区', '区县', '县区', '县（市、区）', '部门', '责任单位', 'unit', 'unit_code', 'unit_name', 'region'],
  indicator: ['指标', '指标名称', '指标代码', '指标编码', 'indicator', 'indicator_code', 'metric'],
  day: ['日期', '统计日期', '数据日期', '统计时间', 'day', 'date', 'stat_date'],
  value: ['数值', '值', '指标值', '数据', 'value'],
} as const;

type Role = keyof typeof SYNONYMS;

const roleByLabel = new Map<string, Role>(
  (Object.entries(SYNONYMS) as Array<[Role, readonly string[]]>).flatMap(([role, labels]) =>
    labels.map((l) => [normalizeLabel(l), role] as [string, Role]),
  ),
);

export type LayoutResult = { ok: true; layout: CsvLayout } | { ok: false; message: string };

export function detectLayout(header: readonly string[], catalogue: Catalogue, wanted: 'auto' | 'long' | 'wide'): LayoutResult {
  const roles = new Map<Role, number>();
  const indicatorColumns: Array<{ column: number; label: string }> = [];
  const others: string[] = [];
  header.forEach((cell, column) => {
    const role = roleByLabel.get(normalizeLabel(cell));
    if (role && !roles.has(role)) roles.set(role, column);
    else if (catalogue.indicator(cell)) indicatorColumns.push({ column, label: cell.trim() });
    else if (cell.trim() !== '') others.push(cell.trim());
  });
  const shown = header.map((h) => h.trim()).join(', ');
  const unit = roles.get('unit');
  if (unit === undefined) {
    return { ok: false, message: `无法识别表头：没有单位列（应为“单位”或 unit 等），实际表头：${shown}` };
  }
  const day = roles.get('day') ?? null;
  const indicator = roles.get('indicator');
  const value = roles.get('value');
  const long = indicator !== undefined && value !== undefined;

  if (wanted === 'long' || (wanted === 'auto' && long)) {
    if (!long) return { ok: false, message: `无法识别表头：长表需要“指标”和“数值”两列，实际表头：${shown}` };
    return { ok: true, layout: { format: 'long', width: header.length, unit, indicator, day, value } };
  }
  if (indicatorColumns.length === 0) {
    return {
      ok: false,
      message: `无法识别表头：既不是长表（单位、指标、日期、数值），也没有以指标代码或名称命名的列。实际表头：${shown}`,
    };
  }
  return { ok: true, layout: { format: 'wide', width: header.length, unit, day, indicators: indicatorColumns, ignoredColumns: others } };
}
