import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { EscalationLevel } from '../domain/problem-deadline';
import type { ProblemState } from '../domain/problem-state';

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

export interface NewProblem extends ProblemKey {
  owner_unit_id: number;
  category: string;
  severity: 'warning' | 'major';
  first_seen: string;
  last_seen: string;
  anomaly_count: number;
  worst_value: string | null;
}

const keyArrays = (keys: ProblemKey[]) => ({
  indicators: keys.map((k) => k.indicator_id),
  units: keys.map((k) => k.unit_id),
  kinds: keys.map((k) => k.kind),
});

export interface ProblemListFilter {
  state?: ProblemState;
  unit?: string;
  indicator?: string;
}

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

  /** The live (not closed, not dismissed) problem of each key that has one. */
  async live(keys: ProblemKey[]): Promise<Array<ProblemKey & { id: number }>> {
    const k = keyArrays(keys);
    const r = await sql<ProblemKey & { id: number }>`
      SELECT p.id, p.indicator_id, p.unit_id, p.kind
      FROM problems p
      JOIN unnest(${k.indicators}::int[], ${k.units}::int[], ${k.kinds}::text[]) AS k(indicator_id, unit_id, kind)
        ON k.indicator_id = p.indicator_id AND k.unit_id = p.unit_id AND k.kind = p.kind
      WHERE p.state IN ('open', 'assigned', 'pending_verification')`.execute(this.db);
    return r.rows;
  }

  /** The latest problem of each key closed on or after `since`. */
  async closedSince(keys: ProblemKey[], since: string): Promise<Array<ProblemKey & { id: number; closed_on: string }>> {
    const k = keyArrays(keys);
    const r = await sql<ProblemKey & { id: number; closed_on: string }>`
      SELECT DISTINCT ON (p.indicator_id, p.unit_id, p.kind) p.id, p.indicator_id, p.unit_id, p.kind, p.closed_on
      FROM problems p
      JOIN unnest(${k.indicators}::int[], ${k.units}::int[], ${k.kinds}::text[]) AS k(indicator_id, unit_id, kind)
        ON k.indicator_id = p.indicator_id AND k.unit_id = p.unit_id AND k.kind = p.kind
      WHERE p.state = 'closed' AND p.closed_on >= ${since}::date
      ORDER BY p.indicator_id, p.unit_id, p.kind, p.closed_on DESC, p.id DESC`.execute(this.db);
    return r.rows;
  }

  /** Back to 待交办, with nothing confirmed, signed or assigned: the department is to be assigned it again. */
  async reopen(ids: number[]): Promise<void> {
    await sql`
      UPDATE problems SET state = 'open', reopen_count = reopen_count + 1, data_confirmed = false, signed_off_by = NULL,
             assigned_on = NULL, deadline = NULL, closed_on = NULL, escalation = 'none', updated_at = now()
      WHERE id = ANY(${ids}::bigint[])`.execute(this.db);
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

  async insert(rows: NewProblem[]): Promise<Array<ProblemKey & { id: number }>> {
    if (rows.length === 0) return [];
    return this.db.insertInto('problems').values(rows).returning(['id', 'indicator_id', 'unit_id', 'kind']).execute();
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

  /** The problem, locked until the transaction ends so two operators' actions apply one after the other. */
  async lockOne(id: number) {
    return this.db.selectFrom('problems').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  async saveStatus(
    id: number,
    s: {
      state: ProblemState;
      data_confirmed: boolean;
      signed_off_by: string | null;
      assigned_on: string | null;
      deadline: string | null;
      closed_on: string | null;
      escalation: EscalationLevel;
      reopen_count: number;
    },
  ): Promise<void> {
    await this.db.updateTable('problems').set({ ...s, updated_at: sql`now()` }).where('id', '=', id).execute();
  }

  /**
   * Assigns by letter the problems still 待交办: each gets its deadline, the letter and a fresh escalation ladder. One
   * assigned by hand meanwhile is left as it is. Returns what was assigned.
   */
  async assignByLetter(day: string, rows: Array<{ id: number; deadline: string; letterId: number }>) {
    if (rows.length === 0) return [];
    const r = await sql<{ id: number; unit_id: number; indicator_id: number; deadline: string; letter_id: number }>`
      UPDATE problems p SET state = 'assigned', assigned_on = ${day}::date, deadline = x.deadline, letter_id = x.letter_id,
                            escalation = 'none', updated_at = now()
      FROM unnest(${rows.map((x) => x.id)}::bigint[], ${rows.map((x) => x.deadline)}::date[], ${rows.map((x) => x.letterId)}::bigint[])
           AS x(id, deadline, letter_id)
      WHERE p.id = x.id AND p.state = 'open'
      RETURNING p.id, p.unit_id, p.indicator_id, p.deadline, p.letter_id`.execute(this.db);
    return r.rows.sort((a, b) => a.id - b.id);
  }

  /** Live problems whose recovery was confirmed but which an anomaly of their own on `day` contradicts. */
  async regressedOn(day: string): Promise<number[]> {
    const r = await sql<{ id: number }>`
      SELECT DISTINCT p.id FROM problems p JOIN anomalies a ON a.problem_id = p.id
      WHERE p.state IN ('open', 'assigned', 'pending_verification') AND p.data_confirmed
        AND a.day = ${day}::date AND a.status = 'active'
      ORDER BY p.id`.execute(this.db);
    return r.rows.map((x) => x.id);
  }

  /** Live, unconfirmed problems whose series was reported on every one of `days` with no anomaly of the problem's kind. */
  async recoveredOver(days: string[]): Promise<number[]> {
    const r = await sql<{ id: number }>`
      SELECT p.id FROM problems p
      WHERE p.state IN ('open', 'assigned', 'pending_verification') AND NOT p.data_confirmed
        AND (SELECT count(*) FROM observations o
             WHERE o.indicator_id = p.indicator_id AND o.unit_id = p.unit_id AND o.day = ANY(${days}::date[])) = ${days.length}
        AND NOT EXISTS (SELECT 1 FROM anomalies a
                        WHERE a.indicator_id = p.indicator_id AND a.unit_id = p.unit_id AND a.kind = p.kind
                          AND a.status = 'active' AND a.day = ANY(${days}::date[]))
      ORDER BY p.id`.execute(this.db);
    return r.rows.map((x) => x.id);
  }

  /** Assigned problems with a deadline before `day`, with the step of the ladder they are on. */
  async pastDeadline(day: string) {
    return this.db
      .selectFrom('problems')
      .select(['id', 'unit_id', 'indicator_id', 'deadline', 'escalation'])
      .where('state', 'in', ['assigned', 'pending_verification'])
      .where('deadline', '<', day)
      .orderBy('id')
      .execute();
  }

  async setEscalation(id: number, level: EscalationLevel): Promise<void> {
    await this.db.updateTable('problems').set({ escalation: level, updated_at: sql`now()` }).where('id', '=', id).execute();
  }
}
