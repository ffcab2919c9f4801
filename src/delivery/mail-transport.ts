import net from 'node:net';
import nodemailer from 'nodemailer';
import type { SendMailOptions, Transporter } from 'nodemailer';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { OutboxRow } from '../db/schema';

/** `verify` is for /readyz: it connects and logs in without sending. */
export type MailTransport = Pick<Transporter, 'sendMail' | 'close' | 'verify'>;

export interface PoolOptions {
  /** Connections open at most (default 5). */
  maxConnections?: number;
  /** At most `messages` sent per `perSeconds` over the whole pool (config delivery.rateLimit). */
  rateLimit?: { messages: number; perSeconds: number } | undefined;
}

/** The pool's options from the URL: also what the letters bench gives a bare nodemailer pool, so both send alike. */
export function smtpPoolOptions(smtpUrl: string, opts: PoolOptions = {}): SMTPPool.Options {
  const rate = opts.rateLimit ? { rateLimit: opts.rateLimit.messages, rateDelta: opts.rateLimit.perSeconds * 1000 } : {};
  return { pool: true, maxConnections: opts.maxConnections ?? 5, ...rate, ...parseConnectionUrl(smtpUrl), getSocket: connectWithoutDelay };
}

/**
 * A pooled SMTP transport: a handful of connections reused across messages, as a relay sends in bursts, so a week's
 * letters do not open a connection each to the bureau's mail server, and, where the server throttles a sender, no
 * faster than it allows. The URL is parsed here: given as `{ url }`, nodemailer would read only the URL and drop
 * every option beside it (the pool among them). Options in the URL's query (`?maxConnections=2`) still win.
 */
export function createMailTransport(smtpUrl: string, opts: PoolOptions = {}): MailTransport {
  const transport = nodemailer.createTransport(smtpPoolOptions(smtpUrl, opts));
  // A pooled connection the server drops while idle (a restart, a timeout) is reported as an 'error' event; unheard,
  // it would end the process. The pool opens a new connection for the next message, and a message in flight gets
  // its own error back from sendMail, which the relay records and retries.
  transport.on('error', () => undefined);
  return transport;
}

/**
 * Each pooled connection opened with Nagle's algorithm off. SMTP is a dialogue of small writes (MAIL FROM, RCPT TO,
 * DATA, the end of the data) each waiting for its reply; with Nagle on, a small write that follows another waits for
 * the peer's delayed ACK, some 40 ms a message, which capped a pool at about 100 small messages a second. The socket
 * is handed to nodemailer connected; it adds TLS itself where the URL asks for it.
 */
function connectWithoutDelay(options: SMTPPool.Options, callback: (err: Error | null, socketOptions?: { connection: net.Socket }) => void): void {
  const socket = net.connect({ host: options.host ?? 'localhost', port: options.port ?? (options.secure ? 465 : 587), noDelay: true });
  const timer = setTimeout(() => socket.destroy(new Error(`连接邮件服务器超时（${options.host ?? 'localhost'}）`)), options.connectionTimeout ?? 120_000);
  const fail = (err: Error) => {
    clearTimeout(timer);
    callback(err);
  };
  socket.once('error', fail);
  socket.once('connect', () => {
    clearTimeout(timer);
    socket.off('error', fail);
    callback(null, { connection: socket });
  });
}

/** An SMTP reply of 5xx will not change on retry; 4xx and network errors may. */
export function isPermanentFailure(err: unknown): boolean {
  const code = (err as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/** An outbox message as nodemailer sends it (the relay) or composes it into an .eml (the API): one shape for both. */
export function outboxMail(m: Pick<OutboxRow, 'to_addresses' | 'cc_addresses' | 'subject' | 'html' | 'text' | 'message_id'>, from: string): SendMailOptions {
  return {
    from,
    to: m.to_addresses,
    cc: m.cc_addresses,
    subject: m.subject,
    html: m.html,
    text: m.text,
    messageId: m.message_id,
    // Chinese text is a third the size in base64 of what quoted-printable makes of it, and nodemailer no longer
    // scans every body to choose.
    textEncoding: 'base64',
  };
}
