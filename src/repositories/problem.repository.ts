import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { ProblemRow } from '../db/schema';
import { DEADLINE_STATES, DecidedStatus, LIVE_STATES, ProblemState, ProblemStatus } from '../domain/problem-state';

export interface UnattachedAnomaly {
  id: number;
  indicator_id: number;
  unit_id: number;
  kind: string;
  severity: 'warning' | 'major';
  rule_id: string;
  indicator_code: string;
  observed_value: string | null;
  direction: 'higher' | 'lower';
  /** The indicator's data-source department, which owns `missing` problems. */
  source_department_id: number | null;
}

export interface ProblemKey {
  indicator_id: number;
  unit_id: number;
  kind: string;
}

/** What a day's anomalies add to one problem. */
export interface ProblemUpdate {
  id: number;
  day: string;
  count: number;
  severity: 'warning' | 'major';
  worst_value: string | null;
}

/** A problem's facts when found; its status comes from the domain's `openProblem`. */
export interface NewProblem extends ProblemKey {
  owner_unit_id: number;
  category: string;
  severity: 'warning' | 'major';
  first_seen: string;
  last_seen: string;
  anomaly_count: number;
  worst_value: string | null;
}

export interface ProblemListFilter {
  state?: ProblemState;
  unit?: string;
  indicator?: string;
}

const keyArrays = (keys: ProblemKey[]) => ({
  indicators: keys.map((k) => k.indicator_id),
  units: keys.map((k) => k.unit_id),
  kinds: keys.map((k) => k.kind),
});

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
      JOIN indicators i ON i.id = a.indicator_id
      LEFT JOIN units d ON d.code = i.source_department
      WHERE a.day = ${day}::date AND a.status = 'active' AND a.problem_id IS NULL
      ORDER BY a.id`.execute(this.db);
    return r.rows;
  }

  /** The live problem of each key that has one. */
  async live(keys: ProblemKey[]): Promise<Array<ProblemKey & { id: number }>> {
    const k = keyArrays(keys);
    const r = await sql<ProblemKey & { id: number }>`
      SELECT p.id, p.indicator_id, p.unit_id, p.kind
      FROM problems p
      JOIN unnest(${k.indicators}::int[], ${k.units}::int[], ${k.kinds}::text[]) AS k(indicator_id, unit_id, kind)
        ON k.indicator_id = p.indicator_id AND k.unit_id = p.unit_id AND k.kind = p.kind
      WHERE p.state = ANY(${LIVE_STATES}::text[])`.execute(this.db);
    return r.rows;
  }

  /** The latest problem of each key closed on or after `since`, locked until the transaction ends. */
  async closedSince(keys: ProblemKey[], since: string): Promise<ProblemRow[]> {
    const k = keyArrays(keys);
    const r = await sql<ProblemRow>`
      SELECT p.* FROM problems p
      WHERE p.id IN (
        SELECT DISTINCT ON (p.indicator_id, p.unit_id, p.kind) p.id
        FROM problems p
        JOIN unnest(${k.indicators}::int[], ${k.units}::int[], ${k.kinds}::text[]) AS k(indicator_id, unit_id, kind)
          ON k.indicator_id = p.indicator_id AND k.unit_id = p.unit_id AND k.kind = p.kind
        WHERE p.state = 'closed' AND p.closed_on >= ${since}::date
        ORDER BY p.indicator_id, p.unit_id, p.kind, p.closed_on DESC, p.id DESC)
      FOR UPDATE`.execute(this.db);
    return r.rows;
  }

  /** Adds a day's anomalies to problems: count, last seen, the worse severity and the worse value. */
  async attach(updates: ProblemUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    await sql`
      UPDATE problems p SET
        anomaly_count = p.anomaly_count + u.count,
        last_seen = greatest(p.last_seen, u.day),
        first_seen = least(p.first_seen, u.day),
        severity = CASE WHEN u.severity = 'major' THEN 'major' ELSE p.severity END,
        worst_value = CASE
          WHEN u.worst_value IS NULL THEN p.worst_value
          WHEN p.worst_value IS NULL THEN u.worst_value
          WHEN i.direction = 'higher' THEN least(p.worst_value, u.worst_value)
          ELSE greatest(p.worst_value, u.worst_value) END,
        updated_at = now()
      FROM unnest(${updates.map((x) => x.id)}::bigint[], ${updates.map((x) => x.day)}::date[], ${updates.map((x) => x.count)}::int[],
                  ${updates.map((x) => x.severity)}::text[], ${updates.map((x) => x.worst_value)}::numeric[])
             AS u(id, day, count, severity, worst_value),
           indicators i
      WHERE p.id = u.id AND i.id = p.indicator_id`.execute(this.db);
  }

  /** Stores problems just found, each with the status `openProblem` gave it. */
  async insertOpened(rows: Array<NewProblem & { status: DecidedStatus }>): Promise<Array<ProblemKey & { id: number }>> {
    if (rows.length === 0) return [];
    return this.db
      .insertInto('problems')
      .values(rows.map(({ status, ...facts }) => ({ ...facts, ...statusColumns(status) })))
      .returning(['id', 'indicator_id', 'unit_id', 'kind'])
      .execute();
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
    if (filter.indicator) q = q.where('i.code', '=', filter.indicator);
    return q.orderBy('p.id', 'desc').execute();
  }

  async show(id: number) {
    return this.described().where('p.id', '=', id).executeTakeFirst();
  }

  private described() {
    return this.db
      .selectFrom('problems as p')
      .innerJoin('units as u', 'u.id', 'p.unit_id')
      .innerJoin('units as o', 'o.id', 'p.owner_unit_id')
      .innerJoin('indicators as i', 'i.id', 'p.indicator_id')
      .select([
        'p.id',
        'p.state',
        'p.kind',
        'p.severity',
        'u.name as unit',
        'o.name as owner',
        'i.name as indicator',
        'i.unit as indicator_unit',
        'p.first_seen',
        'p.last_seen',
        'p.anomaly_count',
        'p.worst_value',
        'p.reopen_count',
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

  /** Live problems whose recovery was confirmed but which an anomaly of their own on `day` contradicts; locked. */
  async regressedOn(day: string): Promise<ProblemRow[]> {
    const r = await sql<ProblemRow>`
      SELECT p.* FROM problems p
      WHERE p.state = ANY(${LIVE_STATES}::text[]) AND p.data_confirmed
        AND EXISTS (SELECT 1 FROM anomalies a WHERE a.problem_id = p.id AND a.day = ${day}::date AND a.status = 'active')
      ORDER BY p.id
      FOR UPDATE`.execute(this.db);
    return r.rows;
  }

  /** Live, unconfirmed problems whose series was reported on every one of `days` with no anomaly of the problem's kind; locked. */
  async recoveredOver(days: string[]): Promise<ProblemRow[]> {
    const r = await sql<ProblemRow>`
      SELECT p.* FROM problems p
      WHERE p.state = ANY(${LIVE_STATES}::text[]) AND NOT p.data_confirmed
        AND (SELECT count(*) FROM observations o
             WHERE o.indicator_id = p.indicator_id AND o.unit_id = p.unit_id AND o.day = ANY(${days}::date[])) = ${days.length}
        AND NOT EXISTS (SELECT 1 FROM anomalies a
                        WHERE a.indicator_id = p.indicator_id AND a.unit_id = p.unit_id AND a.kind = p.kind
                          AND a.status = 'active' AND a.day = ANY(${days}::date[]))
      ORDER BY p.id
      FOR UPDATE`.execute(this.db);
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
