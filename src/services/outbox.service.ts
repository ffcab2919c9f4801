import type { Db } from '../db/database';
import type { OutboxRow } from '../db/schema';
import { inTransaction } from '../db/transactions';
import { OutboxRepository } from '../repositories/outbox.repository';
import { LedgerService } from './ledger.service';
import { messageRef } from './outbox-relay.service';

/** What operators do with the outbox: look at it, and send a failed message again once its cause is fixed. */
export class OutboxService {
  constructor(private readonly deps: { db: Db }) {}

  list(status?: OutboxRow['status']): Promise<OutboxRow[]> {
    return new OutboxRepository(this.deps.db).list(status);
  }

  find(f: Parameters<OutboxRepository['find']>[0]): Promise<OutboxRow[]> {
    return new OutboxRepository(this.deps.db).find(f);
  }

  get(id: number): Promise<OutboxRow | undefined> {
    return new OutboxRepository(this.deps.db).get(id);
  }

  /**
   * Puts a failed message back to be sent (the same row, its Message-ID and addresses), and records who did it in the
   * ledger in the same transaction. Returns false when there is no such failed message.
   */
  async retry(id: number, actor: string): Promise<boolean> {
    return inTransaction(this.deps.db, async (tx) => {
      const was = await new OutboxRepository(tx).requeueFailed(id);
      if (!was) return false;
      await new LedgerService(tx).append([{ type: 'message_requeued', actor, payload: { ...messageRef(was), previousError: was.last_error } }], tx);
      return true;
    });
  }
}
