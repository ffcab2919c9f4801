import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';

/** `verify` is for /readyz: it connects and logs in without sending. */
export type MailTransport = Pick<Transporter, 'sendMail' | 'close' | 'verify'>;

/** A pooled SMTP transport: a handful of connections reused across messages, as a relay sends in bursts. */
export function createMailTransport(smtpUrl: string, opts: { maxConnections?: number } = {}): MailTransport {
  return nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: opts.maxConnections ?? 5 } as nodemailer.TransportOptions);
}

/** An SMTP reply of 5xx will not change on retry; 4xx and network errors may. */
export function isPermanentFailure(err: unknown): boolean {
  const code = (err as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}
