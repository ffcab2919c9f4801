/**
 * What the benches that deliver mail share (bench:letters, bench:day): the SMTP sink in its own process
 * (smtp-sink-child.ts), a warm-up of nodemailer's hot paths, and the raw side — the same finished messages the relay
 * sent, handed at once to a bare nodemailer pool built with the relay's options (smtpPoolOptions), in the shape the
 * relay gives them to nodemailer (outboxMail: base64 bodies), so that the two compare like for like.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { OutboxRow } from '../src/db/schema';
import { outboxMail, smtpPoolOptions } from '../src/delivery/mail-transport';

export interface Sink {
  url: string;
  /** Messages accepted and connections opened so far. */
  counts(): Promise<{ accepted: number; connections: number }>;
  close(): void;
}

/** A message as the outbox holds it, finished: what the relay sends and the raw side sends again. */
export type FinishedMessage = Pick<OutboxRow, 'to_addresses' | 'cc_addresses' | 'subject' | 'html' | 'text' | 'message_id'>;

/** Starts the sink in a process of its own, so that receiving counts against neither side. */
export async function startSink(): Promise<Sink> {
  const child = fork(path.join(__dirname, 'smtp-sink-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  return {
    url: `smtp://127.0.0.1:${port}`,
    counts: () =>
      new Promise((resolve) => {
        child.once('message', (m: { accepted: number; connections: number }) => resolve(m));
        child.send('count');
      }),
    close: () => child.disconnect(),
  };
}

/** Messages a warm-up sends (the sink counts them too). */
export const WARM_UP_MESSAGES = 300;

/** Compiles nodemailer's hot paths in this process before anything is timed, so that neither side pays for it. */
export async function warmUp(url: string, from: string, pool: number): Promise<void> {
  const raw = nodemailer.createTransport(smtpPoolOptions(url, { maxConnections: pool }));
  await sendWarmUp(raw, from);
  raw.close();
}

async function sendWarmUp(transport: nodemailer.Transporter, from: string): Promise<void> {
  const html = `<table>${'<tr><td>宁国市 按时办结率 99.5%，低于预警值 100%</td></tr>'.repeat(200)}</table>`;
  await Promise.all(Array.from({ length: WARM_UP_MESSAGES }, (_, k) => transport.sendMail({ from, to: `w${k}@bench.example`, subject: '预热', html, text: html })));
}

/**
 * The raw limit of a relay: `messages` handed at once to a bare nodemailer pool with the relay's options, each as the
 * relay gives it to nodemailer but under another Message-ID. Returns the milliseconds from the first hand-over to
 * the last message accepted. `connected`: the warm-up goes through the same pool first (untimed), so that it starts
 * with its connections open, as a relay that has been sending all along finds its own; otherwise, opening them is
 * part of the time, as it is for a relay with a new pool.
 */
export async function sendRaw(messages: readonly FinishedMessage[], url: string, from: string, pool: number, opts: { connected?: boolean } = {}): Promise<number> {
  const raw = nodemailer.createTransport(smtpPoolOptions(url, { maxConnections: pool }));
  try {
    if (opts.connected) await sendWarmUp(raw, from);
    const t = Date.now();
    await Promise.all(messages.map((m) => raw.sendMail(outboxMail({ ...m, message_id: m.message_id.replace('@', '.raw@') }, from))));
    return Date.now() - t;
  } finally {
    raw.close();
  }
}
