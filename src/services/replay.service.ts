import { RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database';
import { inRolledBackTransaction } from '../db/transactions';
import type { Day } from '../domain/day';
import type { EvaluationService } from './evaluation.service';

export interface ReplayedAnomaly {
  rule_id: string;
  rule_version_id: number;
  indicator_version_id: number | null;
  unit: string;
  indicator: string;
  observed_value: string | null;
  expected_value: string | null;
  explanation: string;
}

export interface ReplayReport {
  day: Day;
  evaluationId: number;
  evaluatedAt: Date;
  recorded: ReplayedAnomaly[];
  replayed: ReplayedAnomaly[];
  /** Anomalies in one set and not the other, or the same one with other values, rule or threshold version. */
  differences: Array<{ key: string; recorded?: ReplayedAnomaly; replayed?: ReplayedAnomaly }>;
}

/**
 * Re-judges a day as it was judged: with the rule and threshold versions that existed at its latest evaluation and the values as
 * they stood then (later revisions undone, later arrivals left out), inside a transaction that is rolled back.
 */
export class ReplayService {
  constructor(private readonly deps: { db: Db; evaluation: EvaluationService }) {}

  async replay(day: Day): Promise<ReplayReport> {
    const last = await this.deps.db
      .selectFrom('evaluation_runs')
      .select(['id', 'started_at'])
      .where('day', '=', day)
      .where('trigger', 'not in', ['backtest', 'replay'])
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (!last) throw new Error(`${day} 还没有评估记录，无可重放`);
    // Compared in SQL, not through a JS Date: timestamps have microseconds, Dates only milliseconds.
    const at = sql<Date>`(SELECT started_at FROM evaluation_runs WHERE id = ${last.id})`;
    return inRolledBackTransaction(this.deps.db, async (tx) => {
      const recorded = await anomaliesAsOf(tx, day, at);
      await valuesAsOf(tx, last.id);
      await this.deps.evaluation.evaluateDay(day, { trigger: 'replay', within: tx, versionsAsOf: at });
      const replayed = await anomaliesAsOf(tx, day);
      return { day, evaluationId: last.id, evaluatedAt: last.started_at, recorded, replayed, differences: differences(recorded, replayed) };
    });
  }
}

/**
 * For the rest of the transaction, `observations` reads the values as they stood when evaluation `evaluationId`
 * started: a temporary view of that name comes first on the session's search path, leaving out later arrivals and
 * undoing later revisions. Nothing is written (the app role may not update observations), and it ends with the
 * transaction.
 */
async function valuesAsOf(tx: Db, evaluationId: number): Promise<void> {
  await sql`CREATE TEMP TABLE replay_at (at timestamptz NOT NULL) ON COMMIT DROP`.execute(tx);
  await sql`INSERT INTO replay_at SELECT started_at FROM evaluation_runs WHERE id = ${evaluationId}`.execute(tx);
  await sql`
    CREATE TEMP VIEW observations AS
    SELECT o.day, o.indicator_id, o.unit_id,
           coalesce((SELECT r.old_value FROM public.observation_revisions r
                     WHERE r.day = o.day AND r.indicator_id = o.indicator_id AND r.unit_id = o.unit_id AND r.revised_at > (SELECT at FROM replay_at)
                     ORDER BY r.revised_at, r.id LIMIT 1), o.value) AS value,
           o.first_run_id, o.run_id, o.recorded_at, o.revised_at
    FROM public.observations o
    WHERE o.recorded_at <= (SELECT at FROM replay_at)`.execute(tx);
}

/** The anomalies of a day that were active at `at` (or now). */
async function anomaliesAsOf(db: Db, day: Day, at?: RawBuilder<Date>): Promise<ReplayedAnomaly[]> {
  let q = db
    .selectFrom('anomalies as a')
    .innerJoin('units as u', 'u.id', 'a.unit_id')
    .innerJoin('indicators as i', 'i.id', 'a.indicator_id')
    .select(['a.rule_id', 'a.rule_version_id', 'a.indicator_version_id', 'u.code as unit', 'i.code as indicator', 'a.observed_value', 'a.expected_value', 'a.explanation'])
    .where('a.day', '=', day);
  q = at
    ? q.where('a.created_at', '<=', at).where((eb) => eb.or([eb('a.superseded_at', 'is', null), eb('a.superseded_at', '>', at)]))
    : q.where('a.status', '=', 'active');
  return q.orderBy('a.rule_id').orderBy('u.code').orderBy('i.code').execute();
}

function differences(recorded: ReplayedAnomaly[], replayed: ReplayedAnomaly[]): ReplayReport['differences'] {
  const key = (a: ReplayedAnomaly) => `${a.rule_id}/${a.unit}/${a.indicator}`;
  const same = (a: ReplayedAnomaly, b: ReplayedAnomaly) =>
    a.rule_version_id === b.rule_version_id &&
    a.indicator_version_id === b.indicator_version_id &&
    a.observed_value === b.observed_value && a.expected_value === b.expected_value;
  const r = new Map(recorded.map((a) => [key(a), a]));
  const p = new Map(replayed.map((a) => [key(a), a]));
  return [...new Set([...r.keys(), ...p.keys()])]
    .sort()
    .filter((k) => !(r.has(k) && p.has(k) && same(r.get(k)!, p.get(k)!)))
    .map((k) => ({ key: k, recorded: r.get(k), replayed: p.get(k) }));
}
