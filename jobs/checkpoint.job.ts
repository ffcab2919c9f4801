import type { StepHandler } from './step-handler';

/** The day's signed checkpoint of the ledger; then the relay is woken to mail it to the auditors. */
export const checkpoint = (async (ctx, data) => {
  const made = await ctx.services.checkpoints.make({ slot: data.day, by: 'duban' });
  return {
    result: { events: made.checkpoint.events, made: made.made, mailed: made.mailedTo.length },
    next: made.mailedTo.length > 0 ? [{ step: 'deliver', data: { reason: `checkpoint-${data.day}` } }] : [],
  };
}) satisfies StepHandler<'checkpoint'>;
