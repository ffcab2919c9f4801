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
  /** Distinct (indicator, unit) series: each would be one problem to follow. */
  series: number;
}

export interface BacktestReport {
  from: Day;
  to: Day;
  current: BacktestRow[];
  proposed: BacktestRow[];
}

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

  private measure(from: Day, to: Day, onlyRule: string | undefined, proposed?: readonly RuleDefinition[]): Promise<BacktestRow[]> {
    return inRolledBackTransaction(this.deps.db, async (tx) => {
      if (proposed) await new RulesService(tx).stage(proposed, { by: 'backtest', reason: '回测（不保存）', effectiveFrom: from });
      for (const day of dayRange(from, to)) await this.deps.evaluation.evaluateDay(day, { trigger: 'backtest', within: tx });
      let q = tx
        .selectFrom('anomalies as a')
        .innerJoin('units as u', 'u.id', 'a.unit_id')
        .select([
          'a.rule_id as ruleId',
          'u.name as unit',
          sql<number>`count(*)::int`.as('anomalies'),
          sql<number>`count(DISTINCT (a.indicator_id, a.unit_id))::int`.as('series'),
        ])
        .where('a.day', '>=', from)
        .where('a.day', '<=', to)
        .where('a.status', '=', 'active')
        .groupBy(['a.rule_id', 'u.name'])
        .orderBy('a.rule_id')
        .orderBy('u.name');
      if (onlyRule) q = q.where('a.rule_id', '=', onlyRule);
      return q.execute();
    });
  }
}

/** Totals per rule (or per unit) of both sides, for the printed comparison. */
export function compareBy(report: BacktestReport, key: 'ruleId' | 'unit'): Array<{ key: string; current: BacktestRow; proposed: BacktestRow }> {
  const sum = (rows: BacktestRow[]) => {
    const m = new Map<string, BacktestRow>();
    for (const r of rows) {
      const t = m.get(r[key]) ?? { ruleId: key === 'ruleId' ? r.ruleId : '', unit: key === 'unit' ? r.unit : '', anomalies: 0, series: 0 };
      t.anomalies += r.anomalies;
      t.series += r.series;
      m.set(r[key], t);
    }
    return m;
  };
  const a = sum(report.current);
  const b = sum(report.proposed);
  const zero = { ruleId: '', unit: '', anomalies: 0, series: 0 };
  return [...new Set([...a.keys(), ...b.keys()])].sort().map((k) => ({ key: k, current: a.get(k) ?? zero, proposed: b.get(k) ?? zero }));
}
