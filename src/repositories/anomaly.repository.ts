import { RawBuilder, sql } from 'kysely';
import type { RuleDefinition } from '../config/rules-schema';
import type { Db } from '../db/database';

export interface ThresholdCandidate {
  indicator_id: number;
  unit_id: number;
  unit_name: string;
  indicator_name: string;
  indicator_unit: string;
  value: string;
  threshold: string;
  op: 'below' | 'above';
}

export interface ChangeCandidate extends Omit<ThresholdCandidate, 'threshold' | 'op'> {
  reference: string;
  direction: 'higher' | 'lower';
}

export interface RankCandidate extends Omit<ThresholdCandidate, 'threshold' | 'op'> {
  unit_kind: 'city' | 'county' | 'department';
  /** 1 = the worst of its peers. */
  position: number;
  peers: number;
}

export interface BaselineCandidate extends Omit<ThresholdCandidate, 'threshold' | 'op'> {
  direction: 'higher' | 'lower';
  median: string;
  mad: string;
  history: number;
}

export interface MissingCandidate {
  indicator_id: number;
  unit_id: number;
  unit_name: string;
  indicator_name: string;
}

export interface NewAnomaly {
  rule_id: string;
  rule_version_id: number;
  indicator_id: number;
  unit_id: number;
  kind: string;
  severity: 'warning' | 'major';
  observed_value: string | null;
  expected_value: string | null;
  explanation: string;
}

/** Which indicators and units a rule looks at, as SQL over `i` (indicators) and `u` (units). */
function ruleFilter(rule: RuleDefinition): RawBuilder<boolean> {
  const indicators = rule.indicators === 'all' ? sql`true` : sql`i.code = ANY(${rule.indicators}::text[])`;
  const scope =
    rule.scope === 'all'
      ? sql`true`
      : 'kinds' in rule.scope
        ? sql`u.kind = ANY(${rule.scope.kinds}::text[])`
        : sql`u.code = ANY(${rule.scope.units}::text[])`;
  return sql<boolean>`i.active AND u.active AND ${indicators} AND ${scope}`;
}

export class AnomalyRepository {
  constructor(private readonly db: Db) {}

  /**
   * Series whose value breached the threshold on every one of `days` (the day judged and the working days before
   * it). Exactly at the threshold is not a breach. The threshold is the rule's value or the indicator's 预警值; the
   * side is the rule's or the bad side of the indicator's direction.
   */
  async thresholdCandidates(rule: Extract<RuleDefinition, { kind: 'threshold' }>, day: string, days: string[]): Promise<ThresholdCandidate[]> {
    const r = await sql<ThresholdCandidate>`
      WITH s AS (
        SELECT i.id AS indicator_id, u.id AS unit_id, u.name AS unit_name, i.name AS indicator_name, i.unit AS indicator_unit,
               coalesce(${rule.value ?? null}::numeric, i.alert_value) AS threshold,
               coalesce(${rule.op ?? null}::text, CASE i.direction WHEN 'higher' THEN 'below' ELSE 'above' END) AS op
        FROM indicators i CROSS JOIN units u WHERE ${ruleFilter(rule)})
      SELECT s.indicator_id, s.unit_id, s.unit_name, s.indicator_name, s.indicator_unit, s.threshold::text, s.op,
             max(o.value) FILTER (WHERE o.day = ${day}::date)::text AS value
      FROM s JOIN observations o ON o.indicator_id = s.indicator_id AND o.unit_id = s.unit_id AND o.day = ANY(${days}::date[])
      WHERE s.threshold IS NOT NULL
        AND CASE s.op WHEN 'below' THEN o.value < s.threshold ELSE o.value > s.threshold END
      GROUP BY s.indicator_id, s.unit_id, s.unit_name, s.indicator_name, s.indicator_unit, s.threshold, s.op
      HAVING count(*) = ${days.length}`.execute(this.db);
    return r.rows;
  }

  /**
   * Series whose value moved the bad way (a drop where higher is better) by at least `by` against its reference day,
   * on every (day, reference) pair given. References below `minBase` are not judged.
   */
  async changeCandidates(
    rule: Extract<RuleDefinition, { kind: 'change' }>,
    day: string,
    pairs: Array<{ day: string; ref: string }>,
  ): Promise<ChangeCandidate[]> {
    const r = await sql<ChangeCandidate>`
      WITH p AS (SELECT * FROM unnest(${pairs.map((x) => x.day)}::date[], ${pairs.map((x) => x.ref)}::date[]) AS p(day, ref)),
      s AS (
        SELECT i.id AS indicator_id, u.id AS unit_id, u.name AS unit_name, i.name AS indicator_name,
               i.unit AS indicator_unit, i.direction
        FROM indicators i CROSS JOIN units u WHERE ${ruleFilter(rule)}),
      moves AS (
        SELECT s.*, p.day, cur.value, prev.value AS reference,
               CASE s.direction WHEN 'higher' THEN prev.value - cur.value ELSE cur.value - prev.value END AS bad_move
        FROM s CROSS JOIN p
        JOIN observations cur ON cur.day = p.day AND cur.indicator_id = s.indicator_id AND cur.unit_id = s.unit_id
        JOIN observations prev ON prev.day = p.ref AND prev.indicator_id = s.indicator_id AND prev.unit_id = s.unit_id
        WHERE prev.value >= ${rule.minBase})
      SELECT indicator_id, unit_id, unit_name, indicator_name, indicator_unit, direction,
             max(value) FILTER (WHERE day = ${day}::date)::text AS value,
             max(reference) FILTER (WHERE day = ${day}::date)::text AS reference
      FROM moves
      WHERE CASE ${rule.unit}::text WHEN 'points' THEN bad_move ELSE bad_move / nullif(reference, 0) * 100 END >= ${rule.by}
      GROUP BY indicator_id, unit_id, unit_name, indicator_name, indicator_unit, direction
      HAVING count(*) = ${pairs.length}`.execute(this.db);
    return r.rows;
  }

  /**
   * Units among the worst `bottom` of the units of their kind, on each of `days`. Ties share a place (RANK), so a
   * unit tied with the last one counted is in too; a unit level with the best of its peers never is, so a field
   * where everyone reports 100 % has no bottom.
   */
  async rankCandidates(rule: Extract<RuleDefinition, { kind: 'rank' }>, day: string, days: string[]): Promise<RankCandidate[]> {
    const r = await sql<RankCandidate>`
      WITH s AS (
        SELECT i.id AS indicator_id, u.id AS unit_id, u.name AS unit_name, u.kind AS unit_kind, i.name AS indicator_name,
               i.unit AS indicator_unit, i.direction
        FROM indicators i CROSS JOIN units u WHERE ${ruleFilter(rule)}),
      ranked AS (
        SELECT s.*, o.day, o.value,
               rank() OVER (PARTITION BY s.indicator_id, s.unit_kind, o.day
                            ORDER BY CASE s.direction WHEN 'higher' THEN o.value ELSE -o.value END) AS position,
               count(*) OVER (PARTITION BY s.indicator_id, s.unit_kind, o.day) AS peers,
               CASE s.direction
                 WHEN 'higher' THEN max(o.value) OVER (PARTITION BY s.indicator_id, s.unit_kind, o.day)
                 ELSE min(o.value) OVER (PARTITION BY s.indicator_id, s.unit_kind, o.day) END AS best
        FROM s JOIN observations o ON o.indicator_id = s.indicator_id AND o.unit_id = s.unit_id AND o.day = ANY(${days}::date[]))
      SELECT indicator_id, unit_id, unit_name, unit_kind, indicator_name, indicator_unit,
             max(value) FILTER (WHERE day = ${day}::date)::text AS value,
             max(position) FILTER (WHERE day = ${day}::date)::int AS position,
             max(peers) FILTER (WHERE day = ${day}::date)::int AS peers
      FROM ranked
      WHERE position <= ${rule.bottom} AND peers >= ${rule.minPeers} AND value <> best
      GROUP BY indicator_id, unit_id, unit_name, unit_kind, indicator_name, indicator_unit
      HAVING count(*) = ${days.length}`.execute(this.db);
    return r.rows;
  }

  /**
   * Series far from their own recent history on each judged day: the median and the median absolute deviation (MAD)
   * of the window's values (working days only; days without data simply absent), robust z = 0.6745·dev/MAD, on the
   * bad side only. A flat window (MAD 0) fires on any deviation of at least `minDeviation`; a window with fewer
   * than `minHistory` values judges nothing. `windows` pairs each judged day with each of its window days.
   */
  async baselineCandidates(
    rule: Extract<RuleDefinition, { kind: 'baseline' }>,
    day: string,
    judged: number,
    windows: Array<{ day: string; wday: string }>,
  ): Promise<{ candidates: BaselineCandidate[]; insufficient: number }> {
    const stats = sql`
      w AS (SELECT * FROM unnest(${windows.map((x) => x.day)}::date[], ${windows.map((x) => x.wday)}::date[]) AS w(day, wday)),
      s AS (
        SELECT i.id AS indicator_id, u.id AS unit_id, u.name AS unit_name, i.name AS indicator_name,
               i.unit AS indicator_unit, i.direction
        FROM indicators i CROSS JOIN units u WHERE ${ruleFilter(rule)}),
      hist AS (
        SELECT o.indicator_id, o.unit_id, w.day, o.value
        FROM w JOIN observations o ON o.day = w.wday
        JOIN s ON s.indicator_id = o.indicator_id AND s.unit_id = o.unit_id),
      med AS (
        SELECT indicator_id, unit_id, day, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS median, count(*) AS n
        FROM hist GROUP BY indicator_id, unit_id, day)`;
    const r = await sql<BaselineCandidate>`
      WITH ${stats},
      mad AS (
        SELECT h.indicator_id, h.unit_id, h.day, percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(h.value - m.median)) AS mad
        FROM hist h JOIN med m ON m.indicator_id = h.indicator_id AND m.unit_id = h.unit_id AND m.day = h.day
        WHERE m.n >= ${rule.minHistory}
        GROUP BY h.indicator_id, h.unit_id, h.day),
      judged AS (
        SELECT s.*, m.day, cur.value, m.median, d.mad, m.n,
               CASE s.direction WHEN 'higher' THEN m.median - cur.value ELSE cur.value - m.median END AS bad_dev
        FROM med m
        JOIN mad d ON d.indicator_id = m.indicator_id AND d.unit_id = m.unit_id AND d.day = m.day
        JOIN s ON s.indicator_id = m.indicator_id AND s.unit_id = m.unit_id
        JOIN observations cur ON cur.day = m.day AND cur.indicator_id = m.indicator_id AND cur.unit_id = m.unit_id)
      SELECT indicator_id, unit_id, unit_name, indicator_name, indicator_unit, direction,
             max(value) FILTER (WHERE day = ${day}::date)::text AS value,
             trim_scale(round(max(median) FILTER (WHERE day = ${day}::date)::numeric, 4))::text AS median,
             trim_scale(round(max(mad) FILTER (WHERE day = ${day}::date)::numeric, 4))::text AS mad,
             max(n) FILTER (WHERE day = ${day}::date)::int AS history
      FROM judged
      WHERE bad_dev >= ${rule.minDeviation} AND (mad = 0 OR 0.6745 * bad_dev / mad >= ${rule.z})
      GROUP BY indicator_id, unit_id, unit_name, indicator_name, indicator_unit, direction
      HAVING count(*) = ${judged}`.execute(this.db);
    const short = await sql<{ n: number }>`
      WITH ${stats}
      SELECT count(*)::int AS n FROM s
      LEFT JOIN med m ON m.indicator_id = s.indicator_id AND m.unit_id = s.unit_id AND m.day = ${day}::date
      WHERE coalesce(m.n, 0) < ${rule.minHistory}`.execute(this.db);
    return { candidates: r.rows, insufficient: short.rows[0]!.n };
  }

  /** Series in scope with no value on any of `days`. */
  async missingCandidates(rule: Extract<RuleDefinition, { kind: 'missing' }>, days: string[]): Promise<MissingCandidate[]> {
    const r = await sql<MissingCandidate>`
      SELECT i.id AS indicator_id, u.id AS unit_id, u.name AS unit_name, i.name AS indicator_name
      FROM indicators i CROSS JOIN units u
      WHERE ${ruleFilter(rule)}
        AND NOT EXISTS (SELECT 1 FROM observations o
                        WHERE o.indicator_id = i.id AND o.unit_id = u.id AND o.day = ANY(${days}::date[]))`.execute(this.db);
    return r.rows;
  }

  async startEvaluation(day: string, trigger: string): Promise<number> {
    const row = await this.db.insertInto('evaluation_runs').values({ day, trigger }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  }

  async finishEvaluation(id: number, summary: unknown): Promise<void> {
    await this.db.updateTable('evaluation_runs').set({ summary: JSON.stringify(summary), finished_at: sql`now()` }).where('id', '=', id).execute();
  }

  /**
   * Records what a rule found on a day: new anomalies are inserted, ones found again are refreshed (and revived if
   * they had been superseded), and active ones no longer found are marked superseded. Returns how many were new.
   */
  async record(evaluationId: number, ruleId: string, day: string, found: NewAnomaly[]): Promise<{ inserted: number; superseded: number }> {
    let inserted = 0;
    // In slices: one statement's parameters are capped at 65,535, and a loose rule over many units finds thousands.
    for (let i = 0; i < found.length; i += 2000) {
      const rows = await this.db
        .insertInto('anomalies')
        .values(found.slice(i, i + 2000).map((a) => ({ ...a, day, evaluation_id: evaluationId })))
        .onConflict((oc) =>
          oc.columns(['rule_id', 'indicator_id', 'unit_id', 'day']).doUpdateSet((eb) => ({
            rule_version_id: eb.ref('excluded.rule_version_id'),
            severity: eb.ref('excluded.severity'),
            observed_value: eb.ref('excluded.observed_value'),
            expected_value: eb.ref('excluded.expected_value'),
            explanation: eb.ref('excluded.explanation'),
            status: 'active',
            superseded_at: null,
          })),
        )
        .returning(sql<boolean>`xmax = 0`.as('inserted'))
        .execute();
      inserted += rows.filter((r) => r.inserted).length;
    }
    const keep = found.map((a) => `${a.indicator_id}:${a.unit_id}`);
    const superseded = await sql`
      UPDATE anomalies SET status = 'superseded', superseded_at = now()
      WHERE rule_id = ${ruleId} AND day = ${day}::date AND status = 'active'
        AND NOT (indicator_id::text || ':' || unit_id::text = ANY(${keep}::text[]))`.execute(this.db);
    return { inserted, superseded: Number(superseded.numAffectedRows ?? 0) };
  }
}
