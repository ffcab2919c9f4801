import type { StepHandler } from './step-handler';

/**
 * Wakes the relay. Which messages go out, and whether they already went, lives in the outbox in Postgres: a slot
 * here only says when to look, so a lost or doubled wake-up loses or doubles nothing.
 */
export const deliver = (async (ctx) => {
  if (!ctx.services.relay) {
    ctx.logger.warn('SMTP_URL is not set: messages wait in the outbox');
    return { result: { delivered: 0, retried: 0, failed: 0, smtp: 'not configured' } };
  }
  return { result: await ctx.services.relay.processAll() };
}) satisfies StepHandler<'deliver'>;
