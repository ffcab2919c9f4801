import { RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database';
import { LEDGER_HISTORY_TYPES, LedgerSheetInput } from '../domain/audit-sheets';
import type { LedgerFilter } from '../domain/ledger-filter';
import type { LedgerStatusCondition } from '../domain/ledger-status';
import type { ReplayedProblem } from '../domain/problem-replay';
import type { ProblemState } from '../domain/problem-state';
import { firstFacts, ruleNames } from './problem-facts';

export interface EventFilter {
  /** The zone whose calendar days `from` and `to` mean. */
  timezone: string;
  unit?: string;
  indicator?: string;
  problem?: number;
  state?: ProblemState;
  /** The event's business day: the day its payload is about, else the day it was recorded, in `timezone`. */
  from?: string;
  to?: string;
  /** The day it was recorded, in `timezone` (wall clock). */
  recordedFrom?: string;
  recordedTo?: string;
  /** Of these kinds of event only. */
  type?: string;
  actor?: string;
  /** Keyset paging: events after this one, at most `limit` of them. */
  afterSeq?: number;
  limit?: number;
}

/** A 台账 export's filter as a query asks it: the status already turned into what it means on the day (ledger-status.ts). */
export type LedgerSheetFilter = Omit<LedgerFilter, 'status'> & { status?: LedgerStatusCondition };

export interface AuditEvent {
  seq: number;
  recorded_at: Date;
  type: string;
  actor: string;
  problem_id: number | null;
  unit: string | null;
  indicator: string | null;
  rule_id: string | null;
  payload: Record<string, unknown>;
}

export class AuditRepository {
  constructor(private readonly db: Db) {}

  /**
   * One row per problem with what the 台账 shows, narrowed by `filter`: its facts, the first day's findings, and its
   * history (letters, replies, checks, closings, reopenings, the ladder) as the ledger records it.
   */
  async ledgerSheet(filter: LedgerSheetFilter = {}): Promise<LedgerSheetInput[]> {
    const r = await sql<LedgerSheetInput>`
      SELECT p.id, p.first_seen, p.kind, p.category, p.severity, ${ruleNames} AS rule_names,
             coalesce(i.name, (SELECT string_agg(DISTINCT ai.name, '、') FROM anomalies a JOIN indicators ai ON ai.id = a.indicator_id
                               WHERE a.problem_id = p.id), '数据报送') AS indicator,
             first_facts.parts AS facts, first_facts.value, first_facts.alert, coalesce(i.unit, '') AS measure,
             u.name AS unit, o.name AS owner, p.assigned_on, l.letter_no, p.deadline, p.escalation, p.reopen_count, p.closed_on, p.state,
             coalesce(h.events, '[]') AS history
      FROM problems p
      LEFT JOIN indicators i ON i.id = p.indicator_id
      JOIN units u ON u.id = p.unit_id
      JOIN units o ON o.id = p.owner_unit_id
      LEFT JOIN letters l ON l.id = p.letter_id
      ${firstFacts}
      LEFT JOIN LATERAL (SELECT json_agg(json_build_object('type', e.type, 'actor', e.actor, 'payload', e.payload) ORDER BY e.seq) AS events
                         FROM ledger_events e WHERE e.problem_id = p.id AND e.type = ANY(${[...LEDGER_HISTORY_TYPES]}::text[])) h ON true
      WHERE ${sql.join(ledgerConditions(filter), sql` AND `)}
      ORDER BY p.id`.execute(this.db);
    return r.rows;
  }

  /** Problems by id after `afterId`, `limit` at a time, with the fields their ledger events determine. */
  async problemStatuses(afterId: number, limit: number): Promise<Array<{ id: number } & ReplayedProblem>> {
    return this.db
      .selectFrom('problems as p')
      .leftJoin('letters as l', 'l.id', 'p.letter_id')
      .select([
        'p.id',
        'p.state',
        'p.data_confirmed as dataConfirmed',
        'p.signed_off_by as signedOffBy',
        'p.assigned_on as assignedOn',
        'p.deadline',
        'p.closed_on as closedOn',
        'p.escalation',
        'p.reopen_count as reopenCount',
        'l.letter_no as letterNo',
        'p.merged_into as mergedInto',
      ])
      .where('p.id', '>', afterId)
      .orderBy('p.id')
      .limit(limit)
      .execute();
  }

  /** Ledger events, oldest first, narrowed by unit (or owner), indicator, problem, the problem's state and day. */
  async events(f: EventFilter): Promise<AuditEvent[]> {
    let q = this.db
      .selectFrom('ledger_events as e')
      .leftJoin('problems as p', 'p.id', 'e.problem_id')
      .leftJoin('units as u', 'u.id', 'e.unit_id')
      .leftJoin('units as o', 'o.id', 'p.owner_unit_id')
      .leftJoin('indicators as i', 'i.id', 'e.indicator_id')
      .select(['e.seq', 'e.recorded_at', 'e.type', 'e.actor', 'e.problem_id', 'u.name as unit', 'i.name as indicator', 'e.rule_id'])
      .select(sql<Record<string, unknown>>`e.payload`.as('payload'));
    if (f.unit) q = q.where((eb) => eb.or([eb('u.code', '=', f.unit!), eb('o.code', '=', f.unit!)]));
    if (f.indicator) q = q.where('i.code', '=', f.indicator);
    if (f.problem !== undefined) q = q.where('e.problem_id', '=', f.problem);
    if (f.state) q = q.where('p.state', '=', f.state);
    // Days in the bureau's zone, not the server's: an event at 07:00 in Shanghai belongs to that day. An event about a
    // day (a problem found on 11/26 and recorded on 11/27, a day's values) belongs to the day it is about.
    const recorded = sql<string>`(e.recorded_at AT TIME ZONE ${f.timezone})::date`;
    const business = sql<string>`coalesce((e.payload->>'day')::date, (e.recorded_at AT TIME ZONE ${f.timezone})::date)`;
    if (f.from) q = q.where(business, '>=', f.from);
    if (f.to) q = q.where(business, '<=', f.to);
    if (f.recordedFrom) q = q.where(recorded, '>=', f.recordedFrom);
    if (f.recordedTo) q = q.where(recorded, '<=', f.recordedTo);
    if (f.type) q = q.where('e.type', '=', f.type);
    if (f.actor) q = q.where('e.actor', '=', f.actor);
    if (f.afterSeq !== undefined) q = q.where('e.seq', '>', f.afterSeq);
    q = q.orderBy('e.seq');
    return (f.limit ? q.limit(f.limit) : q).execute();
  }

  /** Every unit's name by id: event payloads name units by id. */
  async unitNames(): Promise<Map<number, string>> {
    const rows = await this.db.selectFrom('units').select(['id', 'name']).execute();
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** The anomalies that raised or fed a problem, with the rule version of each. */
  async problemAnomalies(problemId: number) {
    return this.db
      .selectFrom('anomalies as a')
      .innerJoin('rule_versions as v', 'v.id', 'a.rule_version_id')
      .select(['a.day', 'a.rule_id', 'v.version', 'a.observed_value', 'a.expected_value', 'a.explanation', 'a.status'])
      .where('a.problem_id', '=', problemId)
      .orderBy('a.day')
      .orderBy('a.id')
      .execute();
  }
}

/** The WHERE of a 台账 export, every value a parameter. */
function ledgerConditions(f: LedgerSheetFilter): RawBuilder<unknown>[] {
  const where: RawBuilder<unknown>[] = [sql`true`];
  if (f.unit) where.push(sql`(u.code = ${f.unit} OR o.code = ${f.unit})`);
  // A missing-data problem is about every indicator it lists.
  if (f.indicator) {
    where.push(sql`(i.code = ${f.indicator} OR EXISTS (SELECT 1 FROM anomalies a JOIN indicators ai ON ai.id = a.indicator_id
                                                      WHERE a.problem_id = p.id AND ai.code = ${f.indicator}))`);
  }
  if (f.from) where.push(sql`p.first_seen >= ${f.from}::date`);
  if (f.to) where.push(sql`p.first_seen <= ${f.to}::date`);
  const s = f.status;
  if (s) {
    where.push(sql`p.state = ANY(${[...s.states]}::text[])`);
    if (s.escalations) where.push(sql`p.escalation = ANY(${[...s.escalations]}::text[])`);
    if (s.overdue === true) where.push(sql`p.deadline < ${s.cutoff}::date`);
    if (s.overdue === false) where.push(sql`(p.deadline IS NULL OR p.deadline >= ${s.cutoff}::date)`);
  }
  return where;
}
