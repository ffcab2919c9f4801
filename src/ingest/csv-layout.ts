import { labelKey, nearestLabel } from '../domain/labels';
import type { Catalogue } from './catalogue';

/**
 * Where the unit, indicator, day and value sit in a CSV, decided from its header row. Long files have one value per
 * row; wide files have one row per unit and one column per indicator (as Excel reports are usually laid out).
 *
 * Every column is accounted for: a key (unit, day; in a long file also indicator), a value column, or an ignored
 * column with the reason it is not read. A header that fits both layouts is an error unless the source says which
 * (`layout: wide|long`): a guess would lose a column's values without a word.
 */
export type CsvLayout = {
  width: number;
  unit: number;
  day: number | null;
  ignored: IgnoredColumn[];
} & ({ layout: 'long'; indicator: number; value: number } | { layout: 'wide'; indicators: Array<{ column: number; label: string }> });

export type IgnoreReason = 'unknown_indicator' | 'empty_header' | 'not_used' | 'nul_byte';

export const IGNORE_REASONS: Record<IgnoreReason, string> = {
  unknown_indicator: '不是指标目录中的指标',
  empty_header: '表头为空',
  not_used: '本表格式不读取此列',
  nul_byte: '表头含空字符（NUL）',
};

export interface IgnoredColumn {
  /** 0-based. */
  column: number;
  header: string;
  reason: IgnoreReason;
  message: string;
  /** The indicator a mistyped header probably meant. */
  suggestion?: string;
}

const SYNONYMS = {
  unit: ['单位', '单位名称', '单位代码', '地区', '区县', '县区', '县（市、区）', '部门', '责任单位', 'unit', 'unit_code', 'unit_name', 'region'],
  indicator: ['指标', '指标名称', '指标代码', '指标编码', 'indicator', 'indicator_code', 'metric'],
  day: ['日期', '统计日期', '数据日期', '统计时间', 'day', 'date', 'stat_date'],
  value: ['数值', '值', '指标值', '数据', 'value'],
} as const;

type Role = keyof typeof SYNONYMS;
const ROLE_NAMES: Record<Role, string> = { unit: '单位', indicator: '指标', day: '日期', value: '数值' };

const roleByLabel = new Map<string, Role>(
  (Object.entries(SYNONYMS) as Array<[Role, readonly string[]]>).flatMap(([role, labels]) => labels.map((l) => [labelKey(l), role] as [string, Role])),
);

export type LayoutResult = { ok: true; layout: CsvLayout } | { ok: false; message: string };
export type LayoutChoice = 'auto' | 'long' | 'wide';

export function detectLayout(header: readonly string[], catalogue: Catalogue, wanted: LayoutChoice): LayoutResult {
  const shown = header.map((h) => h.trim()).join(', ');
  // One column holding `;`, tabs or `|`: the file is delimited by another character than the source's.
  const other = header.length === 1 ? [';', '\t', '|'].find((c) => header[0]!.includes(c)) : undefined;
  const delimiterHint = other ? `（表头只有一列，且含有“${other === '\t' ? '制表符' : other}”：文件可能不是用逗号分隔的，请在数据源配置中设置 delimiter）` : '';
  const fail = (why: string): LayoutResult => ({ ok: false, message: `无法识别表头：${why}${delimiterHint}。实际表头：${shown}` });
  const roles = new Map<Role, number[]>();
  const indicatorColumns: Array<{ column: number; label: string }> = [];
  const rest: IgnoredColumn[] = [];
  header.forEach((cell, column) => {
    const text = cell.trim();
    if (text.includes('\0')) return rest.push(ignored(column, text.replaceAll('\0', '␀'), 'nul_byte'));
    const role = roleByLabel.get(labelKey(text));
    if (role) roles.set(role, [...(roles.get(role) ?? []), column]);
    else if (catalogue.indicator(text)) indicatorColumns.push({ column, label: text });
    else if (text === '') rest.push(ignored(column, text, 'empty_header'));
    else rest.push({ ...ignored(column, text, 'unknown_indicator'), suggestion: nearestLabel(text, catalogue.indicatorLabels()) });
  });
  const one = (role: Role): number | undefined | 'twice' => {
    const at = roles.get(role) ?? [];
    return at.length > 1 ? 'twice' : at[0];
  };
  const twice = (role: Role) => fail(`有 ${roles.get(role)!.length} 列都是“${ROLE_NAMES[role]}”列（${roles.get(role)!.map((c) => `第 ${c + 1} 列 ${header[c]!.trim()}`).join('、')}），无法确定用哪一列`);

  const unit = one('unit');
  if (unit === undefined) return fail('没有单位列（应为“单位”或 unit 等）');
  if (unit === 'twice') return twice('unit');
  const day = one('day') ?? null;
  if (day === 'twice') return twice('day');
  const indicator = one('indicator');
  const value = one('value');
  const longish = indicator !== undefined && value !== undefined;
  const unused = (role: Role) => (roles.get(role) ?? []).map((c) => ignored(c, header[c]!.trim(), 'not_used'));

  let layout = wanted;
  if (layout === 'auto') {
    if (longish && indicatorColumns.length > 0) {
      return fail(
        `既有“指标”“数值”列（长表），又有以指标命名的列（宽表：${indicatorColumns.map((c) => c.label).join('、')}），无法判断按哪种格式读取；请在数据源配置中写明 layout: long 或 layout: wide`,
      );
    }
    layout = longish ? 'long' : 'wide';
  }
  if (layout === 'long') {
    if (indicator === 'twice') return twice('indicator');
    if (value === 'twice') return twice('value');
    if (indicator === undefined || value === undefined) return fail('长表需要“指标”和“数值”两列');
    const others = [...rest.filter((c) => c.reason !== 'unknown_indicator'), ...rest.filter((c) => c.reason === 'unknown_indicator').map((c) => ignored(c.column, c.header, 'not_used'))];
    const columns = [...others, ...indicatorColumns.map((c) => ignored(c.column, c.label, 'not_used'))];
    return { ok: true, layout: { layout: 'long', width: header.length, unit, day, indicator, value, ignored: sorted(columns) } };
  }
  if (indicatorColumns.length === 0) {
    const hint = rest.find((c) => c.suggestion);
    return fail(`既不是长表（单位、指标、日期、数值），也没有以指标代码或名称命名的列${hint ? `（“${hint.header}”是否应为“${hint.suggestion}”？）` : ''}`);
  }
  return {
    ok: true,
    layout: { layout: 'wide', width: header.length, unit, day, indicators: indicatorColumns, ignored: sorted([...rest, ...unused('indicator'), ...unused('value')]) },
  };
}

function ignored(column: number, header: string, reason: IgnoreReason): IgnoredColumn {
  return { column, header, reason, message: IGNORE_REASONS[reason] };
}

function sorted(columns: IgnoredColumn[]): IgnoredColumn[] {
  return columns.sort((a, b) => a.column - b.column);
}
