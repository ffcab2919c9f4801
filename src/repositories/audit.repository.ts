import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { LedgerSheetInput } from '../domain/audit-sheets';
import type { ReplayedProblem } from '../domain/problem-replay';
import type { ProblemState } from '../domain/problem-state';
import { latestFacts, ruleNames } from './problem-facts';

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

  /** One row per problem with what the 台账 shows, the latest response and verification read from the ledger. */
  async ledgerSheet(): Promise<LedgerSheetInput[]> {
    const r = await sql<LedgerSheetInput>`
      SELECT p.id, p.first_seen, p.kind, ${ruleNames} AS rule_names, coalesce(i.name, facts.indicators, '数据报送') AS indicator, facts.parts AS facts,
             u.name AS unit, o.name AS owner,
             p.assigned_on, l.letter_no, p.deadline, resp.payload->>'measures' AS measures, resp.payload->>'day' AS responded_on,
             ARRAY(SELECT jsonb_array_elements_text(coalesce(resp.payload->'evidence', '[]'))) AS evidence,
             p.signed_off_by, ver.payload->>'note' AS verify_note, p.data_confirmed, p.escalation, p.closed_on, p.state
      FROM problems p
      LEFT JOIN indicators i ON i.id = p.indicator_id
      JOIN units u ON u.id = p.unit_id
      JOIN units o ON o.id = p.owner_unit_id
      LEFT JOIN letters l ON l.id = p.letter_id
      ${latestFacts}
      LEFT JOIN LATERAL (SELECT e.payload FROM ledger_events e WHERE e.problem_id = p.id AND e.type = 'problem_responded' ORDER BY e.seq DESC LIMIT 1) resp ON true
      LEFT JOIN LATERAL (SELECT e.payload FROM ledger_events e WHERE e.problem_id = p.id AND e.type = 'problem_verified' ORDER BY e.seq DESC LIMIT 1) ver ON true
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
