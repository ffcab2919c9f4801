import { sql } from 'kysely';
import type { RuleDefinition } from '../config/rules-schema';
import type { Db } from '../db/database';
import { inRolledBackTransaction } from '../db/transactions';
import { Day, dayRange } from '../domain/day';
import type { EvaluationService } from './evaluation.service';
import { RulesService } from './rules.service';

export interface BacktestRow {
  ruleId: string;
  unit: string;
  anomalies: number;
  /** Distinct facts (a series with breaches, or a unit's missing data per supplier): each would be one problem. */
  facts: number;
}

export interface BacktestSide {
  rows: BacktestRow[];
  /** Per unit, the facts of all rules together: a series several rules hit is one problem, not several. */
  unitFacts: Map<string, number>;
}

export interface BacktestReport {
  from: Day;
  to: Day;
  current: BacktestSide;
  proposed: BacktestSide;
}

/** What makes an anomaly's fact: the series for a value, the unit and its data supplier for missing data. */
const factKey = sql`CASE WHEN a.kind = 'missing' THEN 'm/' || coalesce(d.id, a.unit_id) ELSE 'v/' || a.indicator_id END`;

/**
 * What proposed rules would have raised over stored history, next to what the rules in force raise, computed by the
 * real evaluation inside transactions that are always rolled back: the backtest writes nothing.
 */
export class BacktestService {
  constructor(private readonly deps: { db: Db; evaluation: EvaluationService }) {}

  async run(proposed: readonly RuleDefinition[], from: Day, to: Day, onlyRule?: string): Promise<BacktestReport> {
    const current = await this.measure(from, to, onlyRule);
    const next = await this.measure(from, to, onlyRule, proposed);
    return { from, to, current, proposed: next };
  }

  private measure(from: Day, to: Day, onlyRule: string | undefined, proposed?: readonly RuleDefinition[]): Promise<BacktestSide> {
    return inRolledBackTransaction(this.deps.db, async (tx) => {
      if (proposed) await new RulesService(tx).stage(proposed, { by: 'backtest', reason: '回测（不保存）', effectiveFrom: from });
      // Each day judged with the rules in force on it: anomalies of a rule the proposal drops are superseded.
      for (const day of dayRange(from, to)) await this.deps.evaluation.evaluateDay(day, { trigger: 'backtest', within: tx });
      const only = onlyRule ? sql`AND a.rule_id = ${onlyRule}` : sql``;
      const rows = await sql<BacktestRow>`
        SELECT a.rule_id AS "ruleId", u.name AS unit, count(*)::int AS anomalies, count(DISTINCT ${factKey})::int AS facts
        FROM anomalies a JOIN units u ON u.id = a.unit_id JOIN indicators i ON i.id = a.indicator_id
        LEFT JOIN units d ON d.code = i.source_department
        WHERE a.day BETWEEN ${from}::date AND ${to}::date AND a.status = 'active' ${only}
        GROUP BY a.rule_id, u.name ORDER BY a.rule_id, u.name`.execute(tx);
      const units = await sql<{ unit: string; facts: number }>`
        SELECT u.name AS unit, count(DISTINCT ${factKey})::int AS facts
        FROM anomalies a JOIN units u ON u.id = a.unit_id JOIN indicators i ON i.id = a.indicator_id
        LEFT JOIN units d ON d.code = i.source_department
        WHERE a.day BETWEEN ${from}::date AND ${to}::date AND a.status = 'active' ${only}
        GROUP BY u.name`.execute(tx);
      return { rows: rows.rows, unitFacts: new Map(units.rows.map((r) => [r.unit, r.facts])) };
    });
  }
}

/**
 * Totals per rule (or per unit) of both sides, for the printed comparison; a rule only one side has shows 0 on the
 * other. Per unit, the facts are those of all rules together.
 */
export function compareBy(report: BacktestReport, key: 'ruleId' | 'unit'): Array<{ key: string; current: BacktestRow; proposed: BacktestRow }> {
  const sum = (side: BacktestSide) => {
    const m = new Map<string, BacktestRow>();
    for (const r of side.rows) {
      const t = m.get(r[key]) ?? { ruleId: key === 'ruleId' ? r.ruleId : '', unit: key === 'unit' ? r.unit : '', anomalies: 0, facts: 0 };
      t.anomalies += r.anomalies;
      t.facts = key === 'unit' ? (side.unitFacts.get(r.unit) ?? 0) : t.facts + r.facts;
      m.set(r[key], t);
    }
    return m;
  };
  const a = sum(report.current);
  const b = sum(report.proposed);
  const zero = { ruleId: '', unit: '', anomalies: 0, facts: 0 };
  return [...new Set([...a.keys(), ...b.keys()])].sort().map((k) => ({ key: k, current: a.get(k) ?? zero, proposed: b.get(k) ?? zero }));
}
