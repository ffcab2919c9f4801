import { sql } from 'kysely';
import type { Db } from '../db/database';

/** What a rule found in one series on the day judged. */
export interface FoundAnomaly {
  indicator_id: number;
  unit_id: number;
  observed_value: string | null;
  expected_value: string | null;
  explanation: string;
}

export interface RaisingRule {
  id: string;
  versionId: number;
  kind: string;
  severity: 'warning' | 'major';
}

/** Evaluation runs and the anomalies they record. */
export class AnomalyRepository {
  constructor(private readonly db: Db) {}

  /** `afterRun`: the ingest run whose data it judges (the day's verdict as it stands). */
  async startEvaluation(day: string, trigger: string, afterRun: number | null): Promise<number> {
    const row = await this.db.insertInto('evaluation_runs').values({ day, trigger, after_run: afterRun }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  }

  /** For each of these days that has a finished evaluation, the run the latest of them judged (null: not known). */
  async judgedRuns(days: string[]): Promise<Map<string, number | null>> {
    if (days.length === 0) return new Map();
    const r = await sql<{ day: string; after_run: number | null }>`
      SELECT DISTINCT ON (day) day::text, after_run FROM evaluation_runs
      WHERE day = ANY(${days}::date[]) AND finished_at IS NOT NULL
      ORDER BY day, id DESC`.execute(this.db);
    return new Map(r.rows.map((x) => [x.day, x.after_run]));
  }

  /** The days from `from` on that have been judged (not counting backtests and replays, which roll back). */
  async judgedDaysFrom(from: string): Promise<string[]> {
    const r = await sql<{ day: string }>`
      SELECT DISTINCT day::text FROM evaluation_runs
      WHERE day >= ${from}::date AND finished_at IS NOT NULL AND trigger NOT IN ('backtest', 'replay') ORDER BY 1`.execute(this.db);
    return r.rows.map((x) => x.day);
  }

  /** Marks superseded the day's active anomalies of rules not in force on it (retired, or never in force then). */
  async supersedeOtherRules(day: string, inForce: string[]): Promise<number> {
    const r = await sql`
      UPDATE anomalies SET status = 'superseded', superseded_at = now()
      WHERE day = ${day}::date AND status = 'active' AND rule_id <> ALL(${inForce}::text[])`.execute(this.db);
    return Number(r.numAffectedRows ?? 0);
  }

  async finishEvaluation(id: number, summary: unknown): Promise<void> {
    await this.db.updateTable('evaluation_runs').set({ summary: JSON.stringify(summary), finished_at: sql`now()` }).where('id', '=', id).execute();
  }

  /**
   * Records what a rule found on a day: new anomalies are inserted, ones found again are refreshed (and revived if
   * they had been superseded), and active ones no longer found are marked superseded. Returns how many were new.
   * `thresholds`: the id of the threshold version each indicator was judged with, recorded on its anomalies.
   */
  async record(
    evaluationId: number,
    rule: RaisingRule,
    day: string,
    found: FoundAnomaly[],
    thresholds: ReadonlyMap<number, number>,
  ): Promise<{ inserted: number; superseded: number }> {
    // Columns as arrays: one statement whatever the count (a loose rule over many units finds tens of thousands),
    // where a VALUES list would run into the 65,535-parameter cap.
    const r = await sql<{ inserted: number }>`
      WITH up AS (
        INSERT INTO anomalies (rule_id, rule_version_id, indicator_version_id, indicator_id, unit_id, day, kind, severity,
                               observed_value, expected_value, explanation, evaluation_id)
        SELECT ${rule.id}, ${rule.versionId}, f.indicator_version_id, f.indicator_id, f.unit_id, ${day}::date, ${rule.kind}, ${rule.severity},
               f.observed_value, f.expected_value, f.explanation, ${evaluationId}
        FROM unnest(${found.map((f) => f.indicator_id)}::int[], ${found.map((f) => thresholds.get(f.indicator_id) ?? null)}::int[],
                    ${found.map((f) => f.unit_id)}::int[],
                    ${found.map((f) => f.observed_value)}::numeric[], ${found.map((f) => f.expected_value)}::numeric[],
                    ${found.map((f) => f.explanation)}::text[])
             AS f(indicator_id, indicator_version_id, unit_id, observed_value, expected_value, explanation)
        ON CONFLICT (rule_id, indicator_id, unit_id, day) DO UPDATE SET
          rule_version_id = excluded.rule_version_id, indicator_version_id = excluded.indicator_version_id, severity = excluded.severity,
          observed_value = excluded.observed_value, expected_value = excluded.expected_value,
          explanation = excluded.explanation, status = 'active', superseded_at = NULL
        RETURNING xmax = 0 AS inserted)
      SELECT count(*) FILTER (WHERE inserted)::int AS inserted FROM up`.execute(this.db);
    // NOT IN over a subquery is hashed whatever the planner believes of `anomalies` (often nothing yet within the
    // transaction that filled it); NOT EXISTS was planned as a nested loop, quadratic in the anomalies found.
    const superseded = await sql`
      UPDATE anomalies SET status = 'superseded', superseded_at = now()
      WHERE rule_id = ${rule.id} AND day = ${day}::date AND status = 'active'
        AND (indicator_id, unit_id) NOT IN (
          SELECT * FROM unnest(${found.map((f) => f.indicator_id)}::int[], ${found.map((f) => f.unit_id)}::int[]))`.execute(this.db);
    return { inserted: r.rows[0]!.inserted, superseded: Number(superseded.numAffectedRows ?? 0) };
  }
}
