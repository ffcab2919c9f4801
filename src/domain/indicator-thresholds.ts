import { canonicalJson } from './canonical-json';

/** Which units an indicator applies to (and so is expected from). */
export type ThresholdScope = 'all' | { kinds: Array<'city' | 'county' | 'department'> } | { units: string[] };

/**
 * What a verdict reads of an indicator: versioned with who, why and from which day, so that a day is always judged
 * (and replayed) with the thresholds in force on it. The rest of an indicator (name, unit, formula, source) only names
 * and reads it and is synced from the catalogue file as it stands.
 */
export interface Thresholds {
  kind: 'percent' | 'count' | 'number';
  direction: 'higher' | 'lower';
  /** 预警值 */
  alert: number | null;
  /** 先进值 */
  benchmark: number | null;
  /** For weighted rankings. */
  weight: number;
  scope: ThresholdScope;
}

export const THRESHOLD_FIELDS = ['alert', 'benchmark', 'direction', 'kind', 'weight', 'scope'] as const satisfies ReadonlyArray<keyof Thresholds>;
export type ThresholdField = (typeof THRESHOLD_FIELDS)[number];

export const THRESHOLD_FIELD_LABELS: Record<ThresholdField, string> = {
  alert: '预警值',
  benchmark: '先进值',
  direction: '方向',
  kind: '类型',
  weight: '权重',
  scope: '适用范围',
};

const KIND_LABELS: Record<Thresholds['kind'], string> = { percent: '百分比', count: '件数', number: '数值' };
const DIRECTION_LABELS: Record<Thresholds['direction'], string> = { higher: '越高越好', lower: '越低越好' };
const UNIT_KIND_LABELS = { city: '市', county: '县（市、区）', department: '部门' } as const;

/** An indicator's thresholds as they stand in one place (the catalogue file, or the versions stored). */
export interface IndicatorThresholds {
  code: string;
  name: string;
  thresholds: Thresholds;
}

export interface ThresholdChange {
  code: string;
  name: string;
  /** `added`: the indicator has no version yet; `changed`: some fields differ from its newest version. */
  change: 'added' | 'changed';
  next: Thresholds;
  fields: Array<{ field: ThresholdField; from: Thresholds[ThresholdField] | undefined; to: Thresholds[ThresholdField] }>;
}

/**
 * What storing `next` over the newest versions would change, indicator by indicator and field by field. An indicator
 * absent from `next` is not a change of thresholds (the catalogue deactivates it); one without a version is added.
 */
export function diffThresholds(current: readonly IndicatorThresholds[], next: readonly IndicatorThresholds[]): ThresholdChange[] {
  const before = new Map(current.map((c) => [c.code, c.thresholds]));
  const changes: ThresholdChange[] = [];
  for (const n of next) {
    const previous = before.get(n.code);
    if (!previous) {
      changes.push({ code: n.code, name: n.name, change: 'added', next: n.thresholds, fields: THRESHOLD_FIELDS.map((f) => ({ field: f, from: undefined, to: n.thresholds[f] })) });
      continue;
    }
    const fields = changedFields(previous, n.thresholds);
    if (fields.length > 0) changes.push({ code: n.code, name: n.name, change: 'changed', next: n.thresholds, fields });
  }
  return changes;
}

/** One field's value as an operator reads it. */
export function thresholdValueText(field: ThresholdField, value: Thresholds[ThresholdField] | undefined): string {
  if (value === undefined || value === null) return '（无）';
  switch (field) {
    case 'kind':
      return KIND_LABELS[value as Thresholds['kind']];
    case 'direction':
      return DIRECTION_LABELS[value as Thresholds['direction']];
    case 'scope':
      return scopeText(value as ThresholdScope);
    default:
      return String(value);
  }
}

export function scopeText(scope: ThresholdScope): string {
  if (scope === 'all') return '全部单位';
  if ('kinds' in scope) return scope.kinds.map((k) => UNIT_KIND_LABELS[k]).join('、');
  return `单位 ${scope.units.join('、')}`;
}

/** A version's thresholds in one line: 百分比，越高越好，预警值 99，先进值 100，权重 10，全部单位. */
export function describeThresholds(t: Thresholds): string {
  return [KIND_LABELS[t.kind], DIRECTION_LABELS[t.direction], `预警值 ${t.alert ?? '（无）'}`, `先进值 ${t.benchmark ?? '（无）'}`, `权重 ${t.weight}`, scopeText(t.scope)].join('，');
}

/** The changes as an operator reads them before confirming. */
export function formatThresholdChanges(changes: readonly ThresholdChange[]): string {
  if (changes.length === 0) return '指标文件中的阈值与现行版本相同，没有需要应用的变更。';
  return changes
    .map((c) =>
      c.change === 'added'
        ? `+ 新增 ${c.name}（${c.code}）：${describeThresholds(c.next)}`
        : `~ 修改 ${c.name}（${c.code}）：${fieldChangesText(c.fields)}`,
    )
    .join('\n');
}

/** Changed fields in one line: 预警值 99 → 99.6，先进值 100 → 99.9. */
export function fieldChangesText(fields: ThresholdChange['fields']): string {
  return fields.map((f) => `${THRESHOLD_FIELD_LABELS[f.field]} ${thresholdValueText(f.field, f.from)} → ${thresholdValueText(f.field, f.to)}`).join('，');
}

/** What changed from one version of an indicator's thresholds to the next. */
export function changedFields(before: Thresholds, after: Thresholds): ThresholdChange['fields'] {
  return THRESHOLD_FIELDS.filter((f) => canonicalJson(before[f]) !== canonicalJson(after[f])).map((f) => ({ field: f, from: before[f], to: after[f] }));
}

/** The changes in one line each, for a warning: 全程网办率 预警值 99 → 99.6. */
export function summariseThresholdChanges(changes: readonly ThresholdChange[]): string {
  return changes.map((c) => `${c.name} ${fieldChangesText(c.fields)}`).join('；');
}

/** What start and ingest say when the catalogue file's thresholds were edited but not applied. */
export function unappliedThresholdsWarning(changes: readonly ThresholdChange[]): string {
  return `注意：指标文件中 ${changes.length} 项指标的阈值与现行版本不同，尚未生效，判定仍按现行版本：${summariseThresholdChanges(changes)}。核对后运行 duban thresholds apply --reason "…" --effective YYYY-MM-DD 存为新版本（duban thresholds list 查看现行版本）。`;
}
