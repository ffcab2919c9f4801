import type { Db } from '../db/database';
import type { LedgerCheckpointRow } from '../db/schema';

export type NewCheckpoint = Omit<LedgerCheckpointRow, 'id'>;

export class CheckpointRepository {
  constructor(private readonly db: Db) {}

  async bySlot(slot: string): Promise<LedgerCheckpointRow | undefined> {
    return this.db.selectFrom('ledger_checkpoints').selectAll().where('slot', '=', slot).executeTakeFirst();
  }

  /** Kept once per slot: a second daemon making the same day's checkpoint gets undefined and reads the first. */
  async insert(row: NewCheckpoint): Promise<LedgerCheckpointRow | undefined> {
    return this.db
      .insertInto('ledger_checkpoints')
      .values(row)
      .onConflict((oc) => oc.column('slot').doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  /** Those made on `from` to `to`, oldest first. */
  async between(from: string, to: string): Promise<LedgerCheckpointRow[]> {
    return this.db.selectFrom('ledger_checkpoints').selectAll().where('day', '>=', from).where('day', '<=', to).orderBy('id').execute();
  }
}
