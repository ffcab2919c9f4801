import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { NewOutboxMessage, OutboxRow } from '../db/schema';

export class OutboxRepository {
  constructor(private readonly db: Db) {}

  /**
   * Adds messages; one already written for the same recipient, kind and period is kept as it is. Returns the new rows'
   * ids by recipient.
   */
  async insert(messages: NewOutboxMessage[]): Promise<Array<{ id: number; recipient_key: string }>> {
    if (messages.length === 0) return [];
    return this.db
      .insertInto('outbox')
      .values(messages)
      .onConflict((oc) => oc.columns(['kind', 'recipient_key', 'period']).doNothing())
      .returning(['id', 'recipient_key'])
      .execute();
  }

  async get(id: number): Promise<OutboxRow | undefined> {
    return this.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Claims up to `limit` due messages for one relay until `leaseMs` from now. SKIP LOCKED keeps two relays off the
   * same rows; a lease that ran out (a relay that died mid-send) makes its rows claimable again.
   */
  async claim(limit: number, leaseMs: number): Promise<OutboxRow[]> {
    const r = await sql<OutboxRow>`
      UPDATE outbox SET lease_token = gen_random_uuid(), lease_until = now() + ${leaseMs} * interval '1 millisecond',
                        attempts = attempts + 1
      WHERE id IN (SELECT id FROM outbox
                   WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
                   ORDER BY next_attempt_at, id
                   LIMIT ${limit}
                   FOR UPDATE SKIP LOCKED)
      RETURNING *`.execute(this.db);
    return r.rows;
  }

  /** Whether a message is due that no relay holds: a relay that died, or a wake-up that never came. */
  async anyClaimable(): Promise<boolean> {
    const row = await this.db
      .selectFrom('outbox')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', sql<Date>`now()`)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', sql<Date>`now()`)]))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Settles a claimed message that was not delivered; a relay whose lease was taken over settles nothing (returns false). */
  async settle(id: number, token: string, outcome: { status: 'pending'; error: string; retryInMs: number } | { status: 'failed'; error: string }): Promise<boolean> {
    const r = await this.db
      .updateTable('outbox')
      .set({
        status: outcome.status,
        lease_token: null,
        lease_until: null,
        last_error: outcome.error,
        ...(outcome.status === 'pending' ? { next_attempt_at: sql<Date>`now() + ${outcome.retryInMs} * interval '1 millisecond'` } : {}),
      })
      .where('id', '=', id)
      .where('lease_token', '=', token)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Marks delivered the messages whose leases these tokens still hold; returns their ids. */
  async settleDelivered(claims: Array<{ id: number; token: string }>): Promise<number[]> {
    if (claims.length === 0) return [];
    const r = await sql<{ id: number }>`
      UPDATE outbox o SET status = 'delivered', lease_token = NULL, lease_until = NULL, delivered_at = now(), last_error = NULL
      FROM unnest(${claims.map((c) => c.id)}::bigint[], ${claims.map((c) => c.token)}::uuid[]) AS c(id, token)
      WHERE o.id = c.id AND o.lease_token = c.token
      RETURNING o.id`.execute(this.db);
    return r.rows.map((x) => x.id);
  }

  async list(status?: OutboxRow['status']): Promise<OutboxRow[]> {
    let q = this.db.selectFrom('outbox').selectAll();
    if (status) q = q.where('status', '=', status);
    return q.orderBy('id', 'desc').limit(500).execute();
  }

  /** Messages as people look them up: by kind, recipient (a unit's code for letters and alerts) and period. */
  async find(f: { kinds?: readonly OutboxRow['kind'][]; recipients?: readonly string[]; period?: string; limit: number }): Promise<OutboxRow[]> {
    let q = this.db.selectFrom('outbox').selectAll();
    if (f.kinds) q = q.where('kind', 'in', [...f.kinds]);
    if (f.recipients) q = f.recipients.length === 0 ? q.where(sql<boolean>`false`) : q.where('recipient_key', 'in', [...f.recipients]);
    if (f.period) q = q.where('period', '=', f.period);
    return q.orderBy('id', 'desc').limit(f.limit).execute();
  }

  /** A failed message back to be sent, its attempts counted afresh; returns it as it was, or nothing when it was not failed. */
  async requeueFailed(id: number): Promise<OutboxRow | undefined> {
    const r = await sql<OutboxRow>`
      UPDATE outbox o SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_token = NULL, lease_until = NULL
      FROM outbox prior
      WHERE o.id = ${id} AND o.status = 'failed' AND prior.id = o.id
      RETURNING prior.*`.execute(this.db);
    return r.rows[0];
  }
}
