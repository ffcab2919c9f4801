import { sql } from 'kysely';
import { loadConfig } from '../../src/config/load-config';
import type { NewOutboxMessage } from '../../src/db/schema';
import { createMailTransport, MailTransport } from '../../src/delivery/mail-transport';
import { OutboxRelay } from '../../src/services/outbox-relay.service';
import { OutboxRepository } from '../../src/repositories/outbox.repository';
import { silentLogger } from '../helpers/ingest-fixture';
import { duban } from '../helpers/run-cli';
import { writeTestConfig } from '../helpers/test-config';
import { startSmtpSink, SmtpSink } from '../helpers/smtp-sink';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';

let db: TestDatabase;
let sink: SmtpSink;
let transport: MailTransport;
const shipped = loadConfig();
const config = { ...shipped, delivery: { ...shipped.delivery, retryBaseMs: 0, maxAttempts: 3, operatorEmail: 'operator@xuancheng.example.gov.cn' } };
const relay = () => new OutboxRelay({ db: db.db, transport, config, logger: silentLogger, batch: 10 });

/** A weekly letter; the relay treats alerts and summaries the same way. */
function message(key: string, period = '2026-W48'): NewOutboxMessage {
  return {
    kind: 'letter',
    recipient_key: key,
    period,
    message_id: `<letter-${period}-${key}@duban>`,
    to_addresses: [`${key}@xuancheng.example.gov.cn`],
    subject: `【督办交办函】${key} 全程网办率低于预警值`,
    html: '<p>宁国市 全程网办率 97.2%，低于预警值 99%</p>',
    text: '宁国市 全程网办率 97.2%，低于预警值 99%',
  };
}

const statusOf = async (key: string) =>
  db.db.selectFrom('outbox').select(['status', 'attempts', 'last_error']).where('recipient_key', '=', key).executeTakeFirstOrThrow();

beforeAll(async () => {
  db = await createTestDatabase('outbox');
  sink = await startSmtpSink();
  transport = createMailTransport(sink.url);
});
afterAll(async () => {
  transport.close();
  await sink.close();
  await db.drop();
});
beforeEach(() => {
  sink.received.length = 0;
  sink.reply = () => undefined;
});

describe('the outbox and its relay', () => {
  it('delivers once per recipient, kind and period, in Chinese, with its deterministic Message-ID, and records it', async () => {
    const repo = new OutboxRepository(db.db);
    expect(await repo.insert([message('ningguo')])).toHaveLength(1);
    expect(await repo.insert([message('ningguo')])).toHaveLength(0);
    expect(await relay().processAll()).toEqual({ delivered: 1, retried: 0, failed: 0 });
    expect(await relay().processAll()).toEqual({ delivered: 0, retried: 0, failed: 0 });

    expect(sink.received).toHaveLength(1);
    const mail = sink.received[0]!;
    expect(mail.subject).toBe('【督办交办函】ningguo 全程网办率低于预警值');
    expect(mail.messageId).toBe('<letter-2026-W48-ningguo@duban>');
    expect(mail.text?.trim()).toBe('宁国市 全程网办率 97.2%，低于预警值 99%');
    expect(mail.html).toContain('低于预警值 99%');
    expect(mail.from?.value[0]).toMatchObject({ name: '宣城市数据资源局督办系统', address: 'duban@xuancheng.example.gov.cn' });
    expect(await statusOf('ningguo')).toMatchObject({ status: 'delivered', attempts: 1 });
    const sent = await db.db.selectFrom('ledger_events').select('payload').where('type', '=', 'message_sent').execute();
    expect(sent).toEqual([{ payload: expect.objectContaining({ kind: 'letter', recipient: 'ningguo', messageId: '<letter-2026-W48-ningguo@duban>' }) }]);
  });

  it('sends a burst over a pool of at most 5 connections, not one per message', async () => {
    const opened = sink.connections;
    await new OutboxRepository(db.db).insert(Array.from({ length: 40 }, (_, k) => message(`burst${k}`, '2026-W47')));
    const pooled = new OutboxRelay({ db: db.db, transport, config, logger: silentLogger, batch: 40 });
    expect(await pooled.processAll()).toEqual({ delivered: 40, retried: 0, failed: 0 });
    expect(sink.received.filter((m) => m.messageId?.includes('burst'))).toHaveLength(40);
    expect(sink.connections - opened).toBeLessThanOrEqual(5);
  });

  it('keeps to the configured send rate across the pool', async () => {
    // 5 messages per 2 seconds: 12 messages are three rounds, so the last cannot start before 4 s have passed.
    const limited = createMailTransport(sink.url, { maxConnections: 3, rateLimit: { messages: 5, perSeconds: 2 } });
    try {
      await new OutboxRepository(db.db).insert(Array.from({ length: 12 }, (_, k) => message(`paced${k}`, '2026-W46')));
      const started = Date.now();
      expect(await new OutboxRelay({ db: db.db, transport: limited, config, logger: silentLogger, batch: 12 }).processAll()).toEqual({ delivered: 12, retried: 0, failed: 0 });
      // A lower bound only, which a slow machine cannot break: without the limit the 12 go in well under a second.
      expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
      expect(sink.received.filter((m) => m.messageId?.includes('paced'))).toHaveLength(12);
    } finally {
      limited.close();
    }
  });

  it('retries a 451 and then delivers', async () => {
    sink.reply = (_id, attempt) => (attempt === 1 ? 451 : undefined);
    await new OutboxRepository(db.db).insert([message('langxi')]);
    expect(await relay().processAll()).toEqual({ delivered: 1, retried: 1, failed: 0 });
    expect(sink.received.map((m) => m.messageId)).toEqual(['<letter-2026-W48-langxi@duban>']);
    expect(await statusOf('langxi')).toMatchObject({ status: 'delivered', attempts: 2, last_error: null });
  });

  it('gives up on a 550 at once: failed, a ledger event, and a notice to the operator', async () => {
    sink.reply = (id) => (id.includes('jixi') ? 550 : undefined);
    await new OutboxRepository(db.db).insert([message('jixi')]);
    expect(await relay().processAll()).toEqual({ delivered: 1, retried: 0, failed: 1 });
    expect(await statusOf('jixi')).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('550 mailbox unavailable') });
    const failed = await db.db.selectFrom('ledger_events').select('payload').where('type', '=', 'message_failed').execute();
    expect(failed).toEqual([{ payload: expect.objectContaining({ recipient: 'jixi', error: expect.stringContaining('550') }) }]);
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0]!.to).toMatchObject({ value: [{ address: 'operator@xuancheng.example.gov.cn' }] });
    expect(sink.received[0]!.subject).toBe('【督办系统】邮件未能送达：【督办交办函】jixi 全程网办率低于预警值');
  });

  it('stops retrying a temporary failure after the configured attempts', async () => {
    sink.reply = (id) => (id.includes('jingde') ? 421 : undefined);
    await new OutboxRepository(db.db).insert([message('jingde')]);
    expect(await relay().processAll()).toEqual({ delivered: 1, retried: 2, failed: 1 }); // the 1 delivered is the notice
    expect(await statusOf('jingde')).toMatchObject({ status: 'failed', attempts: 3 });
  });

  it('sends each message exactly once when two relays run at once', async () => {
    await new OutboxRepository(db.db).insert(Array.from({ length: 40 }, (_, k) => message(`unit${k}`, '2026-W49')));
    const [a, b] = await Promise.all([relay().processAll(), relay().processAll()]);
    expect(a.delivered + b.delivered).toBe(40);
    const ids = sink.received.map((m) => m.messageId);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it('resends at most once, with the same Message-ID, after a relay died between sending and settling', async () => {
    const repo = new OutboxRepository(db.db);
    await repo.insert([message('guangde')]);
    // The dying relay: it claims and sends, then is gone before it can mark the message delivered.
    const [claimed] = await repo.claim(10, config.delivery.leaseMs);
    await transport.sendMail({ from: config.delivery.from, to: claimed!.to_addresses, subject: claimed!.subject, text: claimed!.text, messageId: claimed!.message_id });
    // Nothing else touches it while its lease holds.
    expect(await relay().processAll()).toEqual({ delivered: 0, retried: 0, failed: 0 });
    // Time passes: the lease runs out.
    await sql`UPDATE outbox SET lease_until = now() - interval '1 second' WHERE id = ${claimed!.id}`.execute(db.db);
    expect(await relay().processAll()).toEqual({ delivered: 1, retried: 0, failed: 0 });
    expect(await relay().processAll()).toEqual({ delivered: 0, retried: 0, failed: 0 });
    expect(sink.received.map((m) => m.messageId)).toEqual(['<letter-2026-W48-guangde@duban>', '<letter-2026-W48-guangde@duban>']);
    // The late relay cannot settle a message it no longer holds.
    expect(await repo.settle(claimed!.id, claimed!.lease_token!, { status: 'failed', error: 'late' })).toBe(false);
    expect(await statusOf('guangde')).toMatchObject({ status: 'delivered' });
  });

  it('lists failed messages and puts one back from the CLI', async () => {
    const saved = { ...process.env };
    process.env.DATABASE_URL = db.url;
    process.env.LOG_LEVEL = 'silent';
    try {
      const configFile = writeTestConfig({ sources: [] }).file;
      const failed = await duban('--config', configFile, 'outbox', 'list', '--status', 'failed');
      expect(failed).toMatch(/交办函\s+jixi\s+2026-W48\s+发送失败\s+1\s+【督办交办函】jixi/);
      const { id } = await db.db.selectFrom('outbox').select('id').where('recipient_key', '=', 'jixi').executeTakeFirstOrThrow();
      expect(await duban('--config', configFile, 'outbox', 'retry', String(id))).toBe(`邮件 ${id} 已放回待发送。`);
      expect(await statusOf('jixi')).toMatchObject({ status: 'pending', attempts: 0 });
      await expect(duban('--config', configFile, 'outbox', 'retry', String(id))).rejects.toThrow('不是“发送失败”状态');
    } finally {
      process.env = saved;
    }
  });
});
