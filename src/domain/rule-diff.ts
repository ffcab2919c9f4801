import { canonicalJson } from './canonical-json';

/** What the diff reads of a rule (the rules file's schema, in config, says the rest). */
export interface DiffableRule {
  id: string;
  name: string;
  kind: string;
}

export type RuleChange<R extends DiffableRule = DiffableRule> =
  | { kind: 'added'; id: string; next: R }
  | { kind: 'changed'; id: string; previous: R; next: R; fields: Array<{ field: string; from: unknown; to: unknown }> }
  | { kind: 'retired'; id: string; previous: R };

/** What storing `next` over the rules in force would change, rule by rule and field by field. */
export function diffRules<R extends DiffableRule>(inForce: readonly R[], next: readonly R[]): Array<RuleChange<R>> {
  const before = new Map(inForce.map((r) => [r.id, r]));
  const changes: Array<RuleChange<R>> = [];
  for (const rule of next) {
    const previous = before.get(rule.id);
    before.delete(rule.id);
    if (!previous) changes.push({ kind: 'added', id: rule.id, next: rule });
    else if (canonicalJson(previous) !== canonicalJson(rule)) {
      const keys = [...new Set([...Object.keys(previous), ...Object.keys(rule)])].sort();
      const fields = keys
        .filter((k) => canonicalJson((previous as Record<string, unknown>)[k]) !== canonicalJson((rule as Record<string, unknown>)[k]))
        .map((k) => ({ field: k, from: (previous as Record<string, unknown>)[k], to: (rule as Record<string, unknown>)[k] }));
      changes.push({ kind: 'changed', id: rule.id, previous, next: rule, fields });
    }
  }
  for (const [id, previous] of before) changes.push({ kind: 'retired', id, previous });
  return changes;
}

/** The diff as an operator reads it before confirming. */
export function formatRuleChanges(changes: readonly RuleChange[]): string {
  if (changes.length === 0) return '规则文件与现行规则相同，没有需要应用的变更。';
  const show = (v: unknown) => (v === undefined ? '（无）' : JSON.stringify(v));
  return changes
    .map((c) => {
      switch (c.kind) {
        case 'added':
          return `+ 新增 ${c.id}（${c.next.name}，${c.next.kind}）`;
        case 'retired':
          return `- 停用 ${c.id}（${c.previous.name}）`;
        case 'changed':
          return [`~ 修改 ${c.id}（${c.next.name}）`, ...c.fields.map((f) => `    ${f.field}: ${show(f.from)} → ${show(f.to)}`)].join('\n');
      }
    })
    .join('\n');
}
