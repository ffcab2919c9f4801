import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { Db } from '../db/database';
import { redactSecrets } from './redact-secrets';
import { withTimeout } from './timeouts';

export type CheckResult =
  | { status: 'ok'; latencyMs: number }
  | { status: 'error'; error: string; latencyMs: number }
  /** SMTP without SMTP_URL: messages wait in the outbox, which is a choice, not a fault. */
  | { status: 'not configured' };

export interface Readiness {
  /** Postgres and Redis answer; SMTP is reported but does not decide (the outbox holds messages until it is back). */
  ready: boolean;
  checks: { postgres: CheckResult; redis: CheckResult; smtp: CheckResult };
}

export interface ReadinessDeps {
  db: Db;
  /** The daemon's own connection, so the check sees what the queue sees. */
  redis: { ping(): Promise<unknown> };
  /** The relay's transport; absent without SMTP_URL. */
  smtp?: { verify(): Promise<unknown> };
  /** Per check; a dependency slower than this is as good as down for a probe. */
  timeoutMs?: number;
  /** SMTP greeting, TLS and login take longer than a PING. */
  smtpTimeoutMs?: number;
  /**
   * How long an SMTP verdict is reused. Verifying logs in to the mail server; a probe every few seconds would
   * otherwise do so every few seconds, which some servers answer by blocking the sender.
   */
  smtpCacheMs?: number;
}

/** What /readyz reports: each dependency checked at once, with its latency or its error. */
export class ReadinessCheck {
  private smtpVerdict?: { at: number; result: Promise<CheckResult> };

  constructor(private readonly deps: ReadinessDeps) {}

  async check(): Promise<Readiness> {
    const timeoutMs = this.deps.timeoutMs ?? 2000;
    const [postgres, redis, smtp] = await Promise.all([
      probe(() => sql`SELECT 1`.execute(this.deps.db), timeoutMs),
      probe(() => this.deps.redis.ping(), timeoutMs),
      this.checkSmtp(),
    ]);
    return { ready: postgres.status === 'ok' && redis.status === 'ok', checks: { postgres, redis, smtp } };
  }

  private checkSmtp(): Promise<CheckResult> {
    const smtp = this.deps.smtp;
    if (!smtp) return Promise.resolve({ status: 'not configured' });
    const now = Date.now();
    if (!this.smtpVerdict || now - this.smtpVerdict.at >= (this.deps.smtpCacheMs ?? 60_000)) {
      this.smtpVerdict = { at: now, result: probe(() => smtp.verify(), this.deps.smtpTimeoutMs ?? 5000) };
    }
    return this.smtpVerdict.result;
  }
}

async function probe(fn: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    await withTimeout(fn(), timeoutMs);
    return { status: 'ok', latencyMs: latency() };
  } catch (err) {
    return { status: 'error', error: redactSecrets(err instanceof Error ? err.message : String(err)), latencyMs: latency() };
  }
}
