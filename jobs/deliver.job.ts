import type { JobDefinition } from './job-definition';

export interface DeliverJobData {
  /** What woke the relay, for the log: an evaluation, or the retry schedule. */
  reason: string;
}

/**
 * Wakes the relay. Which messages go out, and whether they already went, lives in the outbox in Postgres: a slot
 * here only says when to look, so a lost or doubled wake-up loses or doubles nothing.
 */
export const deliverJob = {
  name: 'deliver',
  slot: (data) => data.reason,
  schedule: {
    cron: () => '*/5 * * * *',
    // Retries come due between evaluations: one slot per 5-minute tick, e.g. tick-20261127T0835 (UTC, never repeats).
    dataAt: (_config, fireTime) => ({ reason: `tick-${fireTime.toISOString().slice(0, 16).replace(/[-:]/g, '')}` }),
  },
  async handle(ctx) {
    if (!ctx.services.relay) {
      ctx.logger.warn('SMTP_URL is not set: messages wait in the outbox');
      return { delivered: 0, retried: 0, failed: 0 };
    }
    return ctx.services.relay.processAll();
  },
} satisfies JobDefinition<DeliverJobData>;
