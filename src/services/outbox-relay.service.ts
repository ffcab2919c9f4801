import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import type { OutboxRow } from '../db/schema';
import { inTransaction } from '../db/transactions';
import { crashPoint } from '../crash-points';
import type { Logger } from '../logger';
import { OutboxRepository } from '../repositories/outbox.repository';
import type { MessageRef } from '../domain/ledger-events';
import { isPermanentFailure, MailTransport, outboxMail } from '../delivery/mail-transport';
import { escapeHtml } from '../delivery/render-message';
import { LedgerService } from './ledger.service';

export interface RelayRun {
  delivered: number;
  retried: number;
  failed: number;
}

/**
 * Delivers the outbox. Postgres holds the truth: a message is claimed with a lease, sent, and settled; a relay that
 * dies between sending and settling leaves a lease that runs out, and the message is sent again with the same
 * Message-ID, so the receiving side can tell. BullMQ only wakes the relay; `processAll` is also what tests call.
 */
export class OutboxRelay {
  constructor(
    private readonly deps: {
      db: Db;
      transport: MailTransport;
      config: Pick<DubanConfig, 'delivery'>;
      logger: Logger;
      /** Claimed per round; sent concurrently over the transport's pool. */
      batch?: number;
    },
  ) {}

  async processAll(): Promise<RelayRun> {
    const run = { delivered: 0, retried: 0, failed: 0 };
    const batch = this.deps.batch ?? 25;
    const repo = new OutboxRepository(this.deps.db);
    const inFlight = new Set<Promise<void>>();
    const settling: Array<Promise<void>> = [];
    const errors: unknown[] = [];
    let sent: OutboxRow[] = [];
    const settle = () => {
      settling.push(this.settleDelivered(sent).catch((err: unknown) => void errors.push(err)));
      sent = [];
    };
    // Messages stream through the SMTP pool: more are claimed as soon as fewer than two batches are on their way,
    // and deliveries are recorded a batch at a time, so the pool never waits for the slowest message of a batch.
    while (errors.length === 0) {
      if (inFlight.size >= 2 * batch) {
        await Promise.race(inFlight);
        continue;
      }
      const claimed = await repo.claim(batch, this.deps.config.delivery.leaseMs);
      if (claimed.length === 0) {
        if (inFlight.size === 0) break;
        await Promise.race(inFlight);
        continue;
      }
      for (const m of claimed) {
        const p: Promise<void> = this.deliver(m)
          .then((outcome) => {
            run[outcome]++;
            if (outcome === 'delivered') sent.push(m);
            if (sent.length >= batch) settle();
          })
          .catch((err: unknown) => void errors.push(err))
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    }
    // On an error (Postgres gone) what is on its way still finishes and is recorded where possible; the rest keeps
    // its lease and is sent again, with its Message-ID, once the lease runs out.
    await Promise.all(inFlight);
    if (sent.length > 0) settle();
    await Promise.all(settling);
    if (errors.length > 0) throw errors[0];
    return run;
  }

  /** Sends one message; a failure is settled here, a delivery with the rest of its batch. */
  private async deliver(m: OutboxRow): Promise<keyof RelayRun> {
    const { delivery } = this.deps.config;
    try {
      await this.deps.transport.sendMail(outboxMail(m, delivery.from));
      crashPoint('relay.sent');
      return 'delivered';
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (isPermanentFailure(err) || m.attempts >= delivery.maxAttempts) {
        await this.fail(m, error);
        return 'failed';
      }
      const retryInMs = delivery.retryBaseMs * 2 ** (m.attempts - 1);
      await new OutboxRepository(this.deps.db).settle(m.id, m.lease_token!, { status: 'pending', error, retryInMs });
      this.deps.logger.warn({ outboxId: m.id, attempts: m.attempts, retryInMs, error }, 'delivery deferred');
      return 'retried';
    }
  }

  /**
   * Marks a batch's sent messages delivered with their ledger events, in one transaction: one round of locks for the
   * batch rather than one per message. A relay that dies before this resends the batch, each with its Message-ID.
   */
  private async settleDelivered(sent: OutboxRow[]): Promise<void> {
    if (sent.length === 0) return;
    await inTransaction(this.deps.db, async (tx) => {
      // A message whose lease another relay took over is that relay's to record.
      const settled = new Set(await new OutboxRepository(tx).settleDelivered(sent.map((m) => ({ id: m.id, token: m.lease_token! }))));
      const events = sent.filter((m) => settled.has(m.id)).map((m) => ({ type: 'message_sent' as const, actor: 'duban', payload: messageRef(m) }));
      await new LedgerService(tx).append(events, tx);
    });
    crashPoint('relay.settled');
  }

  /** Marks it failed, records it in the ledger and tells the operator, in one transaction. */
  private async fail(m: OutboxRow, error: string): Promise<void> {
    const { delivery } = this.deps.config;
    await inTransaction(this.deps.db, async (tx) => {
      const repo = new OutboxRepository(tx);
      if (!(await repo.settle(m.id, m.lease_token!, { status: 'failed', error }))) return;
      await new LedgerService(tx).append([{ type: 'message_failed', actor: 'duban', payload: { ...messageRef(m), error } }], tx);
      if (delivery.operatorEmail && m.kind !== 'notice') {
        const text = `以下邮件经 ${m.attempts} 次尝试仍未送达，已停止发送：\n\n主题：${m.subject}\n收件人：${m.to_addresses.join('、')}\nMessage-ID：${m.message_id}\n错误：${error}\n\n处理后可用 duban outbox retry ${m.id} 重新发送。`;
        await repo.insert([
          {
            kind: 'notice',
            recipient_key: 'operator',
            period: `failed-${m.id}`,
            message_id: `<notice-failed-${m.id}@${delivery.messageIdDomain}>`,
            to_addresses: [delivery.operatorEmail],
            subject: `【督办系统】邮件未能送达：${m.subject}`,
            text,
            html: `<pre style="font-family:sans-serif;white-space:pre-wrap">${escapeHtml(text)}</pre>`,
          },
        ]);
      }
    });
    this.deps.logger.error({ outboxId: m.id, attempts: m.attempts, error }, 'delivery failed');
  }
}

/** How the ledger names a message. */
export function messageRef(m: OutboxRow): MessageRef {
  return { outboxId: m.id, kind: m.kind, recipient: m.recipient_key, period: m.period, messageId: m.message_id, attempts: m.attempts };
}
