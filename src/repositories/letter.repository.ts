import { RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database';
import { indicatorsOn } from './indicator-version.repository';
import type { Day } from '../domain/day';
import type { EscalationLevel } from '../domain/problem-deadline';
import type { FactPart } from '../domain/anomaly-explanation';
import type { UnitKind } from '../domain/letter-recipients';
import type { IndicatorOverview } from '../domain/summary-content';
import { LIVE_STATES, ProblemState } from '../domain/problem-state';
import { latestFacts } from './problem-facts';

/** A problem as the week's letters and summary see it, with the unit that answers for it. */
export interface WeekProblemRow {
  id: number;
  owner_id: number;
  owner_code: string;
  owner_name: string;
  owner_kind: UnitKind;
  indicator: string;
  unit: string;
  category: string;
  state: ProblemState;
  first_seen: Day;
  /** What its rules found on its latest day, for `describeFact`. */
  facts: FactPart[] | null;
  assigned_on: Day | null;
  deadline: Day | null;
  letter_no: string | null;
  closed_on: Day | null;
  escalation: EscalationLevel;
  data_confirmed: boolean;
  signed_off_by: string | null;
  responded_on: Day | null;
}

export interface StandingRow {
  unit_code: string;
  unit_name: string;
  indicator: string;
  measure: string;
  direction: 'higher' | 'lower';
  latest: string | null;
  week_ago: string | null;
  alert: string | null;
  rank: number | null;
  peers: number;
}

export interface LetterUnit {
  id: number;
  code: string;
  name: string;
  kind: UnitKind;
  contacts: Array<{ email?: string }>;
}

export interface IssuedLetter {
  id: number;
  week: string;
  seq: number;
  letter_no: string;
  letter_day: Day;
  unit_code: string;
  unit_name: string;
  problem_count: number;
  assigned_count: number;
  outbox_id: number;
  message_id: string;
  status: 'pending' | 'delivered' | 'failed';
  delivered_at: Date | null;
}

export class LetterRepository {
  constructor(private readonly db: Db) {}

  /** Keeps two runs of one week's letters (two daemons, or the CLI beside the daemon) one after the other. */
  async lockWeek(week: string): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`duban-letters-${week}`}, 0))`.execute(this.db);
  }

  /** Active units in the order of the catalogue, which is the order their letters are numbered in. */
  async units(code?: string): Promise<LetterUnit[]> {
    let q = this.db.selectFrom('units').select(['id', 'code', 'name', 'kind', 'contacts']).where('active', '=', true);
    if (code) q = q.where('code', '=', code);
    return (await q.orderBy('id').execute()) as LetterUnit[];
  }

  /**
   * Live problems, and those closed or first seen between `from` and `to`, each with what its rules found on its
   * latest day, the letter that assigned it and, for one awaiting verification, the day its fix was reported.
   */
  async weekProblems(from: Day, to: Day, ownerCode?: string): Promise<WeekProblemRow[]> {
    const r = await sql<WeekProblemRow>`
      SELECT p.id, o.id AS owner_id, o.code AS owner_code, o.name AS owner_name, o.kind AS owner_kind, coalesce(i.name, facts.indicators, '数据报送') AS indicator,
             u.name AS unit, p.category, p.state, p.first_seen, facts.parts AS facts, p.assigned_on, p.deadline,
             l.letter_no, p.closed_on, p.escalation, p.data_confirmed, p.signed_off_by, resp.day AS responded_on
      FROM problems p
      JOIN units o ON o.id = p.owner_unit_id
      JOIN units u ON u.id = p.unit_id
      LEFT JOIN indicators i ON i.id = p.indicator_id
      LEFT JOIN letters l ON l.id = p.letter_id
      ${latestFacts}
      LEFT JOIN LATERAL (SELECT e.payload->>'day' AS day FROM ledger_events e
                         WHERE p.state = 'pending_verification' AND e.problem_id = p.id AND e.type = 'problem_responded'
                         ORDER BY e.seq DESC LIMIT 1) resp ON true
      WHERE (p.state = ANY(${LIVE_STATES}::text[])
             OR (p.state = 'closed' AND p.closed_on BETWEEN ${from}::date AND ${to}::date)
             OR p.first_seen BETWEEN ${from}::date AND ${to}::date)
        AND (${ownerCode ?? null}::text IS NULL OR o.code = ${ownerCode ?? null})
      -- Catalogue order, never the serial id, within a day: the same problems are listed the same way however the
      -- days that raised them were processed (resumed after a crash, by several daemons).
      ORDER BY o.id, p.first_seen, i.id NULLS LAST, u.id, p.kind, p.id`.execute(this.db);
    return r.rows;
  }

  /** The latest day with data before `before`. */
  async latestDataDay(before: Day): Promise<Day | null> {
    const r = await sql<{ day: Day | null }>`SELECT max(day) AS day FROM observations WHERE day < ${before}::date`.execute(this.db);
    return r.rows[0]?.day ?? null;
  }

  /**
   * Each unit's value of each indicator on `day` and a week before, the 预警值 in force on `day`, and its rank on `day` among the units
   * of its kind (counties with counties, departments with departments), best first by the indicator's direction.
   */
  /**
   * Each indicator across the units on `day` against `weekAgo` (the director's summary): counted here over every
   * unit's row rather than handed over row by row — 550,000 rows at national scale, for 11 lines.
   */
  async indicatorOverview(day: Day, weekAgo: Day, city: string | null): Promise<IndicatorOverview[]> {
    const r = await sql<IndicatorOverview>`
      WITH rows AS (
        SELECT i.id, i.name AS indicator, i.unit AS measure, i.direction, i.alert_value AS alert, u.id AS unit_id,
               u.name AS unit_name, u.name = ${city}::text AS is_city, r.value AS latest, b.value AS week_ago,
               i.alert_value IS NOT NULL AND r.value IS NOT NULL
                 AND CASE i.direction WHEN 'higher' THEN r.value < i.alert_value ELSE r.value > i.alert_value END AS breach
        FROM (SELECT indicator_id, unit_id, value FROM observations WHERE day = ${day}::date) r
        FULL JOIN (SELECT indicator_id, unit_id, value FROM observations WHERE day = ${weekAgo}::date) b
          ON b.indicator_id = r.indicator_id AND b.unit_id = r.unit_id
        JOIN units u ON u.id = coalesce(r.unit_id, b.unit_id)
        JOIN ${indicatorsOn(day)} i ON i.id = coalesce(r.indicator_id, b.indicator_id)
        WHERE i.active)
      SELECT indicator, measure, direction, alert::text, coalesce(bool_or(is_city), false) AS "fromCity",
             (CASE WHEN bool_or(is_city) THEN max(latest) FILTER (WHERE is_city) ELSE avg(latest) FILTER (WHERE NOT is_city) END)::float8 AS latest,
             (CASE WHEN bool_or(is_city) THEN max(week_ago) FILTER (WHERE is_city) ELSE avg(week_ago) FILTER (WHERE NOT is_city) END)::float8 AS "weekAgo",
             (count(latest) FILTER (WHERE NOT is_city))::int AS reported,
             (count(*) FILTER (WHERE NOT is_city AND breach))::int AS breaching,
             coalesce(to_json((array_agg(json_build_object('unit', unit_name, 'latest', latest::text)
                                         ORDER BY CASE direction WHEN 'higher' THEN latest ELSE -latest END, unit_id)
                                FILTER (WHERE NOT is_city AND breach))[1:3]), '[]') AS worst
      FROM rows
      GROUP BY id, indicator, measure, direction, alert
      ORDER BY id`.execute(this.db);
    return r.rows;
  }

  /** Each unit's standing on each indicator on `day`: its value, the week before, its rank among its kind; of `unitCodes` only when given. */
  async standings(day: Day, weekAgo: Day, unitCodes?: readonly string[]): Promise<StandingRow[]> {
    // Every unit is ranked; only the units asked for are read out, and only their week-ago values joined.
    const wanted = (unitId: RawBuilder<unknown>) =>
      unitCodes === undefined ? sql`true` : sql`${unitId} IN (SELECT id FROM units WHERE code = ANY(${unitCodes}::text[]))`;
    const r = await sql<StandingRow>`
      WITH ranked AS (
        SELECT o.indicator_id, o.unit_id, o.value,
               rank() OVER (PARTITION BY o.indicator_id, u.kind COLLATE "C" ORDER BY CASE WHEN i.direction = 'higher' THEN -o.value ELSE o.value END)::int AS rank,
               count(*) OVER (PARTITION BY o.indicator_id, u.kind COLLATE "C")::int AS peers
        FROM observations o JOIN units u ON u.id = o.unit_id JOIN ${indicatorsOn(day)} i ON i.id = o.indicator_id
        WHERE o.day = ${day}::date),
      before AS (SELECT indicator_id, unit_id, value FROM observations WHERE day = ${weekAgo}::date AND ${wanted(sql`unit_id`)})
      SELECT u.code AS unit_code, u.name AS unit_name, i.name AS indicator, i.unit AS measure, i.direction,
             r.value AS latest, b.value AS week_ago, i.alert_value AS alert, r.rank, coalesce(r.peers, 0) AS peers
      FROM (SELECT * FROM ranked WHERE ${wanted(sql`unit_id`)}) r FULL JOIN before b ON b.indicator_id = r.indicator_id AND b.unit_id = r.unit_id
      JOIN units u ON u.id = coalesce(r.unit_id, b.unit_id)
      JOIN ${indicatorsOn(day)} i ON i.id = coalesce(r.indicator_id, b.indicator_id)
      WHERE i.active
      ORDER BY u.id, i.id`.execute(this.db);
    return r.rows;
  }

  /** Problems first seen and problems closed in each week starting on one of `mondays`. */
  async weeklyCounts(mondays: Day[]): Promise<Array<{ monday: Day; opened: number; closed: number }>> {
    const r = await sql<{ monday: Day; opened: number; closed: number }>`
      SELECT m.monday::date::text AS monday,
             (SELECT count(*) FROM problems WHERE first_seen BETWEEN m.monday AND m.monday + 6)::int AS opened,
             (SELECT count(*) FROM problems WHERE state = 'closed' AND closed_on BETWEEN m.monday AND m.monday + 6)::int AS closed
      FROM unnest(${mondays}::date[]) AS m(monday)
      ORDER BY m.monday`.execute(this.db);
    return r.rows;
  }

  async issuedUnitIds(week: string): Promise<Set<number>> {
    const rows = await this.db.selectFrom('letters').select('unit_id').where('week', '=', week).execute();
    return new Set(rows.map((r) => r.unit_id));
  }

  async maxSeq(week: string): Promise<number> {
    const r = await this.db.selectFrom('letters').select((eb) => eb.fn.max('seq').as('seq')).where('week', '=', week).executeTakeFirst();
    return r?.seq ?? 0;
  }

  async insert(
    rows: Array<{ week: string; unit_id: number; seq: number; letter_no: string; letter_day: Day; outbox_id: number; problem_ids: number[]; assigned_ids: number[] }>,
  ): Promise<Array<{ id: number; unit_id: number }>> {
    if (rows.length === 0) return [];
    return this.db.insertInto('letters').values(rows).returning(['id', 'unit_id']).execute();
  }

  /** The week's letters with their delivery, in number order. */
  async list(week: string, unitCode?: string): Promise<IssuedLetter[]> {
    let q = this.db
      .selectFrom('letters as l')
      .innerJoin('units as u', 'u.id', 'l.unit_id')
      .innerJoin('outbox as m', 'm.id', 'l.outbox_id')
      .select(['l.id', 'l.week', 'l.seq', 'l.letter_no', 'l.letter_day', 'u.code as unit_code', 'u.name as unit_name', 'l.outbox_id', 'm.message_id', 'm.status', 'm.delivered_at'])
      .select(sql<number>`cardinality(l.problem_ids)`.as('problem_count'))
      .select(sql<number>`cardinality(l.assigned_ids)`.as('assigned_count'))
      .where('l.week', '=', week);
    if (unitCode) q = q.where('u.code', '=', unitCode);
    return q.orderBy('l.seq').execute();
  }

  async count(week: string): Promise<number> {
    const r = await this.db.selectFrom('letters').select((eb) => eb.fn.countAll<number>().as('n')).where('week', '=', week).executeTakeFirst();
    return Number(r?.n ?? 0);
  }
}
