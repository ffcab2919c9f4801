import { sql } from 'kysely';
import type { Db } from '../db/database';
import { insertChunks } from './insert-chunks';
import { indicatorsOn } from './indicator-version.repository';
import type { ProblemRow } from '../db/schema';
import { DEADLINE_STATES, DecidedStatus, LIVE_STATES, ProblemState, ProblemStatus } from '../domain/problem-state';

export interface UnattachedAnomaly {
  id: number;
  indicator_id: number;
  unit_id: number;
  /** The kind of rule that raised it. */
  kind: string;
  severity: 'warning' | 'major';
  rule_id: string;
  indicator_code: string;
  observed_value: string | null;
  direction: 'higher' | 'lower';
  /** The indicator's data-source department, which owns `missing` problems. */
  source_department_id: number | null;
}

/**
 * What makes a problem one fact: a value problem is a series (indicator × unit), whatever rules fired on it; a
 * missing-data problem is a unit and the supplier who owes its data (the indicators are those of its anomalies).
 */
export interface ProblemKey {
  kind: 'value' | 'missing';
  /** The series' indicator; null for missing data. */
  indicator_id: number | null;
  unit_id: number;
  owner_unit_id: number;
}

/** What a day's anomalies add to one problem. */
export interface ProblemUpdate {
  id: number;
  day: string;
  count: number;
  severity: 'warning' | 'major';
  worst_value: string | null;
  /** The series' value that day (none for missing data). */
  value: string | null;
  rules: string[];
}

/** A problem's facts when found; its status comes from the domain's `openProblem`. */
export interface NewProblem extends ProblemKey {
  category: string;
  severity: 'warning' | 'major';
  first_seen: string;
  last_seen: string;
  anomaly_count: number;
  worst_value: string | null;
  first_value: string | null;
  latest_value: string | null;
  rules: string[];
}

/** A live problem as reconciliation weighs it: its standing breaches. */
export type ProblemForReconcile = ProblemRow & { latest_breach: string | null; standing: number };

export interface ProblemListFilter {
  state?: ProblemState;
  unit?: string;
  indicator?: string;
  /** Only problems of these units (as the unit or its owner): a lead's reach. */
  withinUnits?: readonly string[];
  /** First seen on or after / on or before (a week's problems). */
  seenFrom?: string;
  seenTo?: string;
  limit?: number;
}

/** The keys as columns, joined to problems by `sameFact`. */
const keyTable = (keys: ProblemKey[]) => sql`unnest(${keys.map((k) => k.kind)}::text[], ${keys.map((k) => k.indicator_id)}::int[],
  ${keys.map((k) => k.unit_id)}::int[], ${keys.map((k) => k.owner_unit_id)}::int[]) AS k(kind, indicator_id, unit_id, owner_unit_id)`;
const sameFact = sql`p.kind = k.kind AND p.unit_id = k.unit_id
  AND CASE k.kind WHEN 'value' THEN p.indicator_id = k.indicator_id ELSE p.owner_unit_id = k.owner_unit_id END`;

/** The stored status of a problem, as the domain's decisions read it. */
export function statusOf(p: ProblemRow): ProblemStatus {
  return {
    state: p.state,
    dataConfirmed: p.data_confirmed,
    signedOffBy: p.signed_off_by,
    assignedOn: p.assigned_on,
    deadline: p.deadline,
    closedOn: p.closed_on,
    escalation: p.escalation,
    reopenCount: p.reopen_count,
    letterId: p.letter_id,
  };
}

function statusColumns(s: DecidedStatus) {
  return {
    state: s.state,
    data_confirmed: s.dataConfirmed,
    signed_off_by: s.signedOffBy,
    assigned_on: s.assignedOn,
    deadline: s.deadline,
    closed_on: s.closedOn,
    escalation: s.escalation,
    reopen_count: s.reopenCount,
    letter_id: s.letterId,
  };
}

/**
 * Problems as stored. A problem's status columns (state, dates, deadline, escalation, checker, letter) are written
 * by `insertOpened` and `saveDecisions` only, from statuses the domain decided (src/domain/problem-state.ts);
 * test/unit/problem-writes.test.ts holds every other statement here to that.
 */
export class ProblemRepository {
  constructor(private readonly db: Db) {}

  /** Serialises turning anomalies into problems, so two evaluations cannot open the same problem twice. */
  async lock(): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtext('duban.problems'))`.execute(this.db);
  }

  async unattachedAnomalies(day: string): Promise<UnattachedAnomaly[]> {
    const r = await sql<UnattachedAnomaly>`
      SELECT a.id, a.indicator_id, a.unit_id, a.kind, a.severity, a.rule_id, i.code AS indicator_code, a.observed_value::text,
             i.direction, d.id AS source_department_id
      FROM anomalies a
      JOIN ${indicatorsOn(day)} i ON i.id = a.indicator_id
      LEFT JOIN units d ON d.code = i.source_department
      WHERE a.day = ${day}::date AND a.status = 'active' AND a.problem_id IS NULL
      ORDER BY a.id`.execute(this.db);
    return r.rows;
  }

  /** The live problem of each key that has one. */
  async live(keys: ProblemKey[]): Promise<Array<ProblemKey & { id: number }>> {
    const r = await sql<ProblemKey & { id: number }>`
      SELECT p.id, p.kind, p.indicator_id, p.unit_id, p.owner_unit_id
      FROM problems p JOIN ${keyTable(keys)} ON ${sameFact}
      WHERE p.state = ANY(${LIVE_STATES}::text[])`.execute(this.db);
    return r.rows;
  }

  /** The latest problem of each key closed on or after `since`, locked until the transaction ends. */
  async closedSince(keys: ProblemKey[], since: string): Promise<ProblemRow[]> {
    const r = await sql<ProblemRow>`
      SELECT p.* FROM problems p
      WHERE p.id IN (
        SELECT DISTINCT ON (k.kind, k.indicator_id, k.unit_id, k.owner_unit_id) p.id
        FROM problems p JOIN ${keyTable(keys)} ON ${sameFact}
        WHERE p.state = 'closed' AND p.closed_on >= ${since}::date
        ORDER BY k.kind, k.indicator_id, k.unit_id, k.owner_unit_id, p.closed_on DESC, p.id DESC)
      FOR UPDATE`.execute(this.db);
    return r.rows;
  }

  /**
   * Adds a day's anomalies to problems: count, first and last day seen with the series' value on them, the rules that
   * fired, the worse severity and the worse value on the indicator's bad side.
   */
  async attach(updates: ProblemUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    await sql`
      UPDATE problems p SET
        anomaly_count = p.anomaly_count + u.count,
        last_seen = greatest(p.last_seen, u.day),
        first_seen = least(p.first_seen, u.day),
        latest_value = CASE WHEN u.day >= p.last_seen THEN u.value ELSE p.latest_value END,
        first_value = CASE WHEN u.day < p.first_seen THEN u.value ELSE p.first_value END,
        rules = ARRAY(SELECT DISTINCT r FROM unnest(p.rules || string_to_array(u.rules, ',')) r ORDER BY r),
        severity = CASE WHEN u.severity = 'major' THEN 'major' ELSE p.severity END,
        worst_value = CASE
          WHEN u.worst_value IS NULL THEN p.worst_value
          WHEN p.worst_value IS NULL THEN u.worst_value
          WHEN (SELECT i.direction FROM indicators_on(u.day) i WHERE i.id = p.indicator_id) = 'higher' THEN least(p.worst_value, u.worst_value)
          ELSE greatest(p.worst_value, u.worst_value) END,
        updated_at = now()
      FROM unnest(${updates.map((x) => x.id)}::bigint[], ${updates.map((x) => x.day)}::date[], ${updates.map((x) => x.count)}::int[],
                  ${updates.map((x) => x.severity)}::text[], ${updates.map((x) => x.worst_value)}::numeric[],
                  ${updates.map((x) => x.value)}::numeric[], ${updates.map((x) => x.rules.join(','))}::text[])
             AS u(id, day, count, severity, worst_value, value, rules)
      WHERE p.id = u.id`.execute(this.db);
  }

  /** Stores problems just found, each with the status `openProblem` gave it. */
  async insertOpened(rows: Array<NewProblem & { status: DecidedStatus }>): Promise<Array<ProblemKey & { id: number }>> {
    const out: Array<ProblemKey & { id: number }> = [];
    for (const chunk of insertChunks(rows.map(({ status, ...facts }) => ({ ...facts, ...statusColumns(status) })))) {
      out.push(...(await this.db.insertInto('problems').values(chunk).returning(['id', 'kind', 'indicator_id', 'unit_id', 'owner_unit_id']).execute()));
    }
    return out;
  }

  /** Stores the statuses the domain decided for these problems, every status column of each, in one statement. */
  async saveDecisions(rows: Array<{ id: number; status: DecidedStatus }>): Promise<void> {
    if (rows.length === 0) return;
    const c = rows.map((r) => ({ id: r.id, ...statusColumns(r.status) }));
    await sql`
      UPDATE problems p SET state = d.state, data_confirmed = d.data_confirmed, signed_off_by = d.signed_off_by,
             assigned_on = d.assigned_on, deadline = d.deadline, closed_on = d.closed_on, escalation = d.escalation,
             reopen_count = d.reopen_count, letter_id = d.letter_id, updated_at = now()
      FROM unnest(${c.map((x) => x.id)}::bigint[], ${c.map((x) => x.state)}::text[], ${c.map((x) => x.data_confirmed)}::boolean[],
                  ${c.map((x) => x.signed_off_by)}::text[], ${c.map((x) => x.assigned_on)}::date[], ${c.map((x) => x.deadline)}::date[],
                  ${c.map((x) => x.closed_on)}::date[], ${c.map((x) => x.escalation)}::text[], ${c.map((x) => x.reopen_count)}::int[],
                  ${c.map((x) => x.letter_id)}::bigint[])
           AS d(id, state, data_confirmed, signed_off_by, assigned_on, deadline, closed_on, escalation, reopen_count, letter_id)
      WHERE p.id = d.id`.execute(this.db);
  }

  async link(anomalyIds: number[], problemIds: number[]): Promise<void> {
    await sql`
      UPDATE anomalies a SET problem_id = l.problem_id
      FROM unnest(${anomalyIds}::bigint[], ${problemIds}::bigint[]) AS l(anomaly_id, problem_id)
      WHERE a.id = l.anomaly_id`.execute(this.db);
  }

  /** Problems with their unit, owner and indicator names, newest first. */
  async list(filter: ProblemListFilter) {
    let q = this.described();
    if (filter.state) q = q.where('p.state', '=', filter.state);
    if (filter.unit) q = q.where((eb) => eb.or([eb('u.code', '=', filter.unit!), eb('o.code', '=', filter.unit!)]));
    if (filter.withinUnits) {
      const units = [...filter.withinUnits];
      q = units.length === 0 ? q.where(sql<boolean>`false`) : q.where((eb) => eb.or([eb('u.code', 'in', units), eb('o.code', 'in', units)]));
    }
    if (filter.seenFrom) q = q.where('p.last_seen', '>=', filter.seenFrom);
    if (filter.seenTo) q = q.where('p.first_seen', '<=', filter.seenTo);
    // A missing-data problem is about every indicator it lists.
    if (filter.indicator) {
      const code = filter.indicator;
      q = q.where((eb) =>
        eb.or([
          eb('i.code', '=', code),
          eb.exists(eb.selectFrom('anomalies as a').innerJoin('indicators as ai', 'ai.id', 'a.indicator_id').select('a.id').whereRef('a.problem_id', '=', 'p.id').where('ai.code', '=', code)),
        ]),
      );
    }
    q = q.orderBy('p.id', 'desc');
    return (filter.limit ? q.limit(filter.limit) : q).execute();
  }

  async show(id: number) {
    return this.described().where('p.id', '=', id).executeTakeFirst();
  }

  private described() {
    return this.db
      .selectFrom('problems as p')
      .innerJoin('units as u', 'u.id', 'p.unit_id')
      .innerJoin('units as o', 'o.id', 'p.owner_unit_id')
      .leftJoin('indicators as i', 'i.id', 'p.indicator_id')
      .select([
        'p.id',
        'p.state',
        'p.kind',
        'p.severity',
        'u.name as unit',
        'u.code as unit_code',
        'o.name as owner',
        'o.code as owner_code',
        // A missing-data problem is about every indicator it lists.
        sql<string>`coalesce(i.name, (SELECT string_agg(DISTINCT ai.name, '、') FROM anomalies a JOIN indicators ai ON ai.id = a.indicator_id
                                      WHERE a.problem_id = p.id), '数据报送')`.as('indicator'),
        sql<string>`coalesce(i.unit, '')`.as('indicator_unit'),
        'p.first_seen',
        'p.last_seen',
        'p.anomaly_count',
        'p.worst_value',
        'p.reopen_count',
        'p.rules',
        'p.latest_value',
        'p.category',
        'p.assigned_on',
        'p.deadline',
        'p.escalation',
        'p.data_confirmed',
        'p.signed_off_by',
        'p.closed_on',
      ]);
  }

  /** These problems, locked until the transaction ends so that decisions on them apply one after the other. */
  async lockMany(ids: number[]): Promise<ProblemRow[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('problems').selectAll().where('id', 'in', ids).orderBy('id').forUpdate().execute();
  }

  /** Every live problem (or those of `ids`), locked, with the latest day of a breach of it still standing and how many stand. */
  async liveForReconcile(ids?: number[]): Promise<ProblemForReconcile[]> {
    const r = await sql<ProblemForReconcile>`
      SELECT p.*, b.latest_breach, b.standing
      FROM problems p
      CROSS JOIN LATERAL (SELECT max(a.day)::text AS latest_breach, count(*)::int AS standing
                          FROM anomalies a WHERE a.problem_id = p.id AND a.status = 'active') b
      WHERE p.state = ANY(${LIVE_STATES}::text[]) AND (${ids ?? null}::bigint[] IS NULL OR p.id = ANY(${ids ?? null}::bigint[]))
      ORDER BY p.id
      FOR UPDATE OF p`.execute(this.db);
    return r.rows;
  }

  /** Problems being fixed or checked whose deadline is before `day`; locked. */
  async pastDeadline(day: string): Promise<ProblemRow[]> {
    return this.db
      .selectFrom('problems')
      .selectAll()
      .where('state', 'in', [...DEADLINE_STATES])
      .where('deadline', '<', day)
      .orderBy('id')
      .forUpdate()
      .execute();
  }

  /** Of these problems, those still 待交办, locked: a letter assigns only what nobody assigned meanwhile. */
  async lockOpen(ids: number[]): Promise<ProblemRow[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('problems').selectAll().where('id', 'in', ids).where('state', '=', 'open').orderBy('id').forUpdate().execute();
  }
}
