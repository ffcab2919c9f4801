/**
 * The raw side of `npm run bench:day`'s relay, in its own process so that holding a day's finished messages does not
 * count against duban's peak RSS: reads the messages the relay sent (outbox rows after `afterId`), then times them
 * handed at once to a bare nodemailer pool (bench/mail-sink.ts sendRaw) whose connections a warm-up through it opened
 * first (and which compiled nodemailer's hot paths here, as the bench process's were): duban's relay keeps its pool
 * from one delivery to the next. Started with fork; answers { ms, sent, maxRssKb } over IPC.
 *
 *   node dist/bench/raw-send-child.js <databaseUrl> <smtpUrl> <from> <pool> <afterId>
 */
import pg from 'pg';
import { withClient } from './bench-admin';
import { FinishedMessage, sendRaw } from './mail-sink';

export interface RawSendResult {
  ms: number;
  sent: number;
  maxRssKb: number;
}

async function main(): Promise<void> {
  const [url, smtpUrl, from, pool, afterId] = process.argv.slice(2);
  if (!url || !smtpUrl || !from || !pool || afterId === undefined) throw new Error('usage: raw-send-child <databaseUrl> <smtpUrl> <from> <pool> <afterId>');
  const messages = await withClient(url, async (c: pg.Client) =>
    (await c.query<FinishedMessage>('SELECT to_addresses, cc_addresses, subject, html, text, message_id FROM outbox WHERE id > $1 ORDER BY id', [Number(afterId)])).rows,
  );
  const ms = await sendRaw(messages, smtpUrl, from, Number(pool), { connected: true });
  const result: RawSendResult = { ms, sent: messages.length, maxRssKb: process.resourceUsage().maxRSS };
  process.send!(result, () => process.disconnect());
}

main().catch((err: unknown) => {
  process.stderr.write(`raw-send-child: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
