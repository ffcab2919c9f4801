import { RawBuilder, sql } from 'kysely';
import type { RuleDefinition } from '../config/rules-schema';
import type { Db } from '../db/database';
import { indicatorsOn } from './indicator-version.repository';

export interface ThresholdCandidate {
  indicator_id: number;
  unit_id: number;
  unit_name: string;
  indicator_name: string;
  indicator_unit: string;
  value: string;
  threshold: string;
  op: 'below' | 'above';
  /** The indicator's 预警值, which the threshold may be. */
  alert: string | null;
}

export interface ChangeCandidate extends Omit<ThresholdCandidate, 'threshold' | 'op' | 'alert'> {
  reference: string;
  direction: 'higher' | 'lower';
}

export interface RankCandidate extends Omit<ThresholdCandidate, 'threshold' | 'op' | 'alert'> {
  unit_kind: 'city' | 'county' | 'department';
  /** 1 = the worst of its peers. */
  position: number;
  peers: number;
}

export interface BaselineCandidate extends Omit<ThresholdCandidate, 'threshold' | 'op' | 'alert'> {
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

export interface SeriesKey {
  indicator_id: number;
  unit_id: number;
}

/** Series with the values of their window on the day judged, in any order (float8 as the history converts them). */
export interface WindowValues {
  keys: SeriesKey[];
  values: number[][];
}

/** Which indicators and which units a rule looks at, as SQL over `i` (indicators) and over `u` (units). */
function ruleFilters(rule: RuleDefinition): { indicators: RawBuilder<boolean>; units: RawBuilder<boolean> } {
  const indicators = rule.indicators === 'all' ? sql`true` : sql`i.code = ANY(${rule.indicators}::text[])`;
  const scope =
    rule.scope === 'all'
      ? sql`true`
      : 'kinds' in rule.scope
        ? sql`u.kind = ANY(${rule.scope.kinds}::text[])`
        : sql`u.code = ANY(${rule.scope.units}::text[])`;
  return { indicators: sql<boolean>`i.active AND ${indicators}`, units: sql<boolean>`u.active AND ${scope}` };
}

/** A join that keeps only the given series of the observations aliased `alias`; nothing when `only` is absent. */
function restrictTo(only: SeriesKey[] | undefined, alias: 'o' | 'cur'): RawBuilder<unknown> {
  if (!only) return sql``;
  const o = sql.table(alias);
  return sql`JOIN unnest(${only.map((k) => k.indicator_id)}::int[], ${only.map((k) => k.unit_id)}::int[]) AS k(indicator_id, unit_id)
               ON k.indicator_id = ${o}.indicator_id AND k.unit_id = ${o}.unit_id`;
}

/** The series (indicator × unit) a rule looks at, as SQL over `i` and `u`. */
function ruleFilter(rule: RuleDefinition): RawBuilder<boolean> {
  const { indicators, units } = ruleFilters(rule);
  return sql<boolean>`${indicators} AND ${units}`;
}

/**
 * The statements that find, per rule kind, the series that breach a rule on a day. They only read. Indicators are
 * read as they stood on the day judged (`indicators_on`): its 预警值, direction and scope, not today's; a replay also
 * passes `asOf`, to leave out versions stored after the evaluation it repeats.
 */
export class CandidateRepository {
  private readonly indicators: RawBuilder<unknown>;

  constructor(
    private readonly db: Db,
    judged: { day: string; asOf?: RawBuilder<Date> },
  ) {
    this.indicators = indicatorsOn(judged.day, judged.asOf);
  }

  /**
   * Series whose value breached the threshold on `day`. Exactly at the threshold is not a breach. The threshold is
   * the rule's value or the indicator's 预警值 (as it stood on the day judged, also for the earlier days of a `for N`
   * rule); the side is the rule's or the bad side of the indicator's direction. With `only`, just those series are
   * looked at (a `for N` rule's earlier days).
   */
  async thresholdCandidates(rule: Extract<RuleDefinition, { kind: 'threshold' }>, day: string, only?: SeriesKey[]): Promise<ThresholdCandidate[]> {
    const r = await sql<ThresholdCandidate>`
      WITH s AS (
        SELECT i.id AS indicator_id, u.id AS unit_id, u.name AS unit_name, i.name AS indicator_name, i.unit AS indicator_unit,
               i.alert_value AS alert, coalesce(${rule.value ?? null}::numeric, i.alert_value) AS threshold,
               coalesce(${rule.op ?? null}::text, CASE i.direction WHEN 'higher' THEN 'below' ELSE 'above' END) AS op
        FROM ${this.indicators} i CROSS JOIN units u WHERE ${ruleFilter(rule)})
      SELECT s.indicator_id, s.unit_id, s.unit_name, s.indicator_name, s.indicator_unit, s.threshold::text, s.op, s.alert::text,
             o.value::text AS value
      FROM observations o ${restrictTo(only, 'o')}
      JOIN s ON s.indicator_id = o.indicator_id AND s.unit_id = o.unit_id
      WHERE o.day = ${day}::date AND s.threshold IS NOT NULL
        AND CASE s.op WHEN 'below' THEN o.value < s.threshold ELSE o.value > s.threshold END`.execute(this.db);
    return r.rows;
  }

  /**
   * Series whose value on `day` moved the bad way (a drop where higher is better) by at least `by` against `ref`.
   * References below `minBase` are not judged. With `only`, just those series are looked at. Both days are fixed
   * values, so each side is one range of the primary key and the two meet in a merge join.
   */
  async changeCandidates(
    rule: Extract<RuleDefinition, { kind: 'change' }>,
    day: string,
    ref: string,
    only?: SeriesKey[],
  ): Promise<ChangeCandidate[]> {
    const r = await sql<ChangeCandidate>`
      SELECT cur.indicator_id, cur.unit_id, u.name AS unit_name, i.name AS indicator_name, i.unit AS indicator_unit,
             i.direction, cur.value::text AS value, prev.value::text AS reference
      FROM observations cur
      JOIN observations prev ON prev.day = ${ref}::date AND prev.indicator_id = cur.indicator_id AND prev.unit_id = cur.unit_id
      ${restrictTo(only, 'cur')}
      JOIN ${this.indicators} i ON i.id = cur.indicator_id
      JOIN units u ON u.id = cur.unit_id
      CROSS JOIN LATERAL (SELECT CASE i.direction WHEN 'higher' THEN prev.value - cur.value ELSE cur.value - prev.value END AS bad_move) m
      WHERE cur.day = ${day}::date AND prev.value >= ${rule.minBase} AND ${ruleFilter(rule)}
        AND CASE ${rule.unit}::text WHEN 'points' THEN m.bad_move ELSE m.bad_move / prev.value * 100 END >= ${rule.by}`.execute(this.db);
    return r.rows;
  }

  /**
   * Units among the worst `bottom` of the units of their kind, on each of `days`. Ties share a place (RANK), so a
   * unit tied with the last one counted is in too; a unit level with the best of its peers never is, so a field
   * where everyone reports 100 % has no bottom.
   *
   * Ranked on narrow rows (ids and a score), all three windows over one sort; names and the day's value are joined to
   * the few that rank.
   */
  async rankCandidates(rule: Extract<RuleDefinition, { kind: 'rank' }>, day: string, days: string[]): Promise<RankCandidate[]> {
    const r = await sql<RankCandidate>`
      WITH scored AS (
        SELECT o.day, o.indicator_id, o.unit_id, u.kind,
               CASE i.direction WHEN 'higher' THEN o.value ELSE -o.value END AS score
        FROM observations o
        JOIN ${this.indicators} i ON i.id = o.indicator_id
        JOIN units u ON u.id = o.unit_id
        WHERE o.day = ANY(${days}::date[]) AND ${ruleFilter(rule)}),
      ranked AS (
        SELECT day, indicator_id, unit_id, score,
               rank() OVER (PARTITION BY indicator_id, kind, day ORDER BY score) AS position,
               count(*) OVER (PARTITION BY indicator_id, kind, day) AS peers,
               max(score) OVER (PARTITION BY indicator_id, kind, day) AS best
        FROM scored),
      bottom AS (
        SELECT indicator_id, unit_id,
               max(position) FILTER (WHERE day = ${day}::date) AS position,
               max(peers) FILTER (WHERE day = ${day}::date) AS peers
        FROM ranked
        WHERE position <= ${rule.bottom} AND peers >= ${rule.minPeers} AND score < best
        GROUP BY indicator_id, unit_id
        HAVING count(*) = ${days.length})
      SELECT b.indicator_id, b.unit_id, u.name AS unit_name, u.kind AS unit_kind, i.name AS indicator_name,
             i.unit AS indicator_unit, o.value::text, b.position::int, b.peers::int
      FROM bottom b JOIN ${this.indicators} i ON i.id = b.indicator_id JOIN units u ON u.id = b.unit_id
      JOIN observations o ON o.day = ${day}::date AND o.indicator_id = b.indicator_id AND o.unit_id = b.unit_id`.execute(this.db);
    return r.rows;
  }

  /**
   * Series far from their own recent history on `day`: the median and the median absolute deviation (MAD) of the
   * values on the `window` days (working days only; days without data simply absent), robust z = 0.6745·dev/MAD, on
   * the bad side only. A flat window (MAD 0) fires on any deviation of at least `minDeviation`; a window with fewer
   * than `minHistory` values judges nothing. With `only`, just those series are looked at (a `for N` rule's earlier
   * days need judging only where the later ones fired).
   *
   * One pass over the window and the day: each series' window values are gathered into a small sorted array next
   * to its value on the day; the median is read off the array and the MAD taken from it. That sorts the window once
   * where the textbook form sorts it twice (for the median, then for the MAD), and needs no join back to the day's
   * values. (An ordered aggregate also keeps Postgres from hashing 550,000 arrays, which spills to disk.)
   *
   * `only` may also bring each series' window values as the packed values hold them (observation_packs: the same
   * float8 the history converts to), so that only the day's value is read from the history: the statistics and the test
   * stay this statement's.
   */
  async baselineCandidates(
    rule: Extract<RuleDefinition, { kind: 'baseline' }>,
    day: string,
    window: string[],
    only?: SeriesKey[] | WindowValues,
  ): Promise<{ candidates: BaselineCandidate[]; insufficient: number }> {
    const { indicators, units } = ruleFilters(rule);
    // Series of inactive units or indicators are dropped when judging; filtering here only pays for a narrow rule.
    const narrowed =
      rule.indicators === 'all' && rule.scope === 'all'
        ? sql``
        : sql`AND o.indicator_id IN (SELECT i.id FROM ${this.indicators} i WHERE ${indicators}) AND o.unit_id IN (SELECT u.id FROM units u WHERE ${units})`;
    const days = [...window, day];
    const gathered = sql`max(o.value) FILTER (WHERE o.day = ${day}::date) AS value,
                   array_agg(o.value::float8 ORDER BY o.value) FILTER (WHERE o.day <> ${day}::date) AS vals,
                   count(*) FILTER (WHERE o.day <> ${day}::date)::int AS n`;
    // Every series in one pass over the window's days; a few named series each by its own index probes (the keys
    // drive), which a join of the keys with the window's rows would not guarantee.
    const given = only && !Array.isArray(only) ? only : undefined;
    const offsets: number[] = [];
    if (given) given.values.reduce((at, v) => (offsets.push(at), at + v.length), 1);
    const perSeries = given
      ? sql`SELECT k.indicator_id, k.unit_id, o.value, v.vals, v.n
            FROM unnest(${given.keys.map((k) => k.indicator_id)}::int[], ${given.keys.map((k) => k.unit_id)}::int[],
                        ${offsets}::int[], ${given.values.map((v) => v.length)}::int[]) AS k(indicator_id, unit_id, first, count)
            LEFT JOIN observations o ON o.day = ${day}::date AND o.indicator_id = k.indicator_id AND o.unit_id = k.unit_id
            CROSS JOIN LATERAL (SELECT array_agg(x ORDER BY x) AS vals, count(*)::int AS n
                                FROM unnest((${given.values.flat()}::float8[])[k.first : k.first + k.count - 1]) x) v`
      : Array.isArray(only)
      ? sql`SELECT k.indicator_id, k.unit_id, g.value, g.vals, g.n
            FROM unnest(${only.map((k) => k.indicator_id)}::int[], ${only.map((k) => k.unit_id)}::int[]) AS k(indicator_id, unit_id)
            CROSS JOIN LATERAL (SELECT ${gathered} FROM observations o
                                WHERE o.day = ANY(${days}::date[]) AND o.indicator_id = k.indicator_id AND o.unit_id = k.unit_id) g
            WHERE g.n > 0 OR g.value IS NOT NULL`
      : sql`SELECT o.indicator_id, o.unit_id, ${gathered}
            FROM observations o
            WHERE o.day = ANY(${days}::date[]) ${narrowed}
            GROUP BY o.indicator_id, o.unit_id`;
    // One statement: the statistics are computed once and read twice, for the candidates (as a JSON array) and for
    // the count of series in scope with too little history to be judged.
    const r = await sql<{ insufficient: number; candidates: BaselineCandidate[] }>`
      WITH stats AS MATERIALIZED (
        SELECT a.indicator_id, a.unit_id, a.value, a.median, a.n, d.mad
        FROM (
          SELECT g.*, (g.vals[(g.n + 1) / 2] + g.vals[(g.n + 2) / 2]) / 2 AS median
          FROM (${perSeries}) g) a
        CROSS JOIN LATERAL (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(v - a.median)) AS mad FROM unnest(a.vals) v) d),
      found AS (
        SELECT i.id AS indicator_id, u.id AS unit_id, u.name AS unit_name, i.name AS indicator_name,
               i.unit AS indicator_unit, i.direction, st.value::text AS value,
               trim_scale(round(st.median::numeric, 4))::text AS median, trim_scale(round(st.mad::numeric, 4))::text AS mad,
               st.n AS history
        FROM stats st
        JOIN ${this.indicators} i ON i.id = st.indicator_id
        JOIN units u ON u.id = st.unit_id
        CROSS JOIN LATERAL (SELECT CASE i.direction WHEN 'higher' THEN st.median - st.value ELSE st.value - st.median END AS bad_dev) b
        WHERE ${indicators} AND ${units} AND st.n >= ${rule.minHistory} AND b.bad_dev >= ${rule.minDeviation}
          AND (st.mad = 0 OR 0.6745 * b.bad_dev / st.mad >= ${rule.z}))
      SELECT (SELECT count(*)::int FROM ${this.indicators} i CROSS JOIN units u
              LEFT JOIN stats st ON st.indicator_id = i.id AND st.unit_id = u.id
              WHERE ${indicators} AND ${units} AND coalesce(st.n, 0) < ${rule.minHistory}) AS insufficient,
             (SELECT coalesce(json_agg(found), '[]') FROM found) AS candidates`.execute(this.db);
    const { insufficient, candidates } = r.rows[0]!;
    return { candidates, insufficient: only ? 0 : insufficient };
  }

  /** The indicators a rule looks at on the day judged, with the side that is bad. */
  async indicatorsInScope(rule: RuleDefinition): Promise<Array<{ id: number; higherIsBetter: boolean }>> {
    const { indicators } = ruleFilters(rule);
    const r = await sql<{ id: number; direction: string }>`SELECT i.id, i.direction FROM ${this.indicators} i WHERE ${indicators} ORDER BY i.id`.execute(this.db);
    return r.rows.map((i) => ({ id: i.id, higherIsBetter: i.direction === 'higher' }));
  }

  /** How many series (indicator × unit) a rule looks at. */
  async seriesInScope(rule: RuleDefinition): Promise<number> {
    const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${this.indicators} i CROSS JOIN units u WHERE ${ruleFilter(rule)}`.execute(this.db);
    return r.rows[0]!.n;
  }

  /** The ids of the units a rule looks at. */
  async unitsInScope(rule: RuleDefinition): Promise<number[]> {
    const { units } = ruleFilters(rule);
    const r = await sql<{ id: number }>`SELECT u.id FROM units u WHERE ${units}`.execute(this.db);
    return r.rows.map((u) => u.id);
  }

  /**
   * One indicator's values on `days` as the packs keep them (observation_packs: per day and chunk of unit ids, pairs
   * of unit id and float8), chunk by chunk: `visit` gets each chunk's packs of those days. A window of half a million
   * series travels in a few hundred rows, and the process holds one indicator's at a time.
   */
  async forEachChunk(indicatorId: number, days: readonly string[], visit: (chunk: number, packs: Array<{ day: string; packed: Buffer }>) => void): Promise<void> {
    const r = await sql<{ day: string; chunk: number; packed: Buffer }>`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, chunk, packed FROM observation_packs
      WHERE indicator_id = ${indicatorId} AND day = ANY(${days}::date[])
      ORDER BY chunk, day`.execute(this.db);
    for (let k = 0; k < r.rows.length; ) {
      const chunk = r.rows[k]!.chunk;
      const packs = [];
      for (; k < r.rows.length && r.rows[k]!.chunk === chunk; k++) packs.push(r.rows[k]!);
      visit(chunk, packs);
    }
  }

  /**
   * Series expected and not reported: in the rule's scope and the indicator's (the units it applies to), with no value
   * on any of `days`, and a value on at least `minReported` of the `expectation` days (the working days before). A
   * series never reported, or stopped long ago, is not expected and raises nothing.
   */
  async missingCandidates(rule: Extract<RuleDefinition, { kind: 'missing' }>, days: string[], expectation: string[]): Promise<MissingCandidate[]> {
    if (expectation.length < rule.minReported) return [];
    // The absent series first, against the missing days' values as one set (an anti-join); only those few are asked
    // how often they reported before, each by its own index probes. Asked of every series in scope, that count
    // would read the whole expectation window.
    const r = await sql<MissingCandidate>`
      WITH absent AS MATERIALIZED (
        SELECT i.id AS indicator_id, u.id AS unit_id, u.name AS unit_name, i.name AS indicator_name
        FROM ${this.indicators} i CROSS JOIN units u
        WHERE ${ruleFilter(rule)}
          AND (i.scope = '"all"'::jsonb OR i.scope->'kinds' ? u.kind OR i.scope->'units' ? u.code)
          AND NOT EXISTS (SELECT 1 FROM observations o
                          WHERE o.day = ANY(${days}::date[]) AND o.indicator_id = i.id AND o.unit_id = u.id))
      SELECT a.* FROM absent a
      WHERE (SELECT count(*) FROM observations o
             WHERE o.day = ANY(${expectation}::date[]) AND o.indicator_id = a.indicator_id AND o.unit_id = a.unit_id) >= ${rule.minReported}`.execute(this.db);
    return r.rows;
  }
}
