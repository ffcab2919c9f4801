import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { LedgerEventRow } from '../db/schema';

export interface LedgerInsert {
  seq: string;
  type: string;
  actor: string;
  problem_id: string | null;
  unit_id: number | null;
  indicator_id: number | null;
  rule_id: string | null;
  payload: string;
  recorded_at: string;
  prev_hash: string;
  hash: string;
}

export class LedgerRepository {
  constructor(private readonly db: Db) {}

  /** Serialises appends until the transaction ends, so each event links to the one before it and no `seq` repeats. */
  async lock(): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtext('duban.ledger'))`.execute(this.db);
  }

  async last(): Promise<{ seq: number; hash: string } | undefined> {
    return this.db.selectFrom('ledger_events').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  }

  /** In slices: a statement carries at most 65,535 parameters, and an event takes 11. */
  async insert(rows: LedgerInsert[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 2000) await this.db.insertInto('ledger_events').values(rows.slice(i, i + 2000)).execute();
  }

  /** The events after `afterSeq` in chain order, `limit` at a time (keyset paging: the ledger only grows). */
  async page(afterSeq: number, limit: number): Promise<LedgerEventRow[]> {
    return this.db.selectFrom('ledger_events').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
  }
}
