import type { StepHandler } from './step-handler';

/** Run by every daemon at its tick (and at start): enqueues what Postgres says is missing. */
export const sweep = (async (ctx) => {
  if (!ctx.sweep) throw new Error('the sweep runs in a daemon, which has a queue to sweep into');
  return { result: { enqueued: await ctx.sweep() } };
}) satisfies StepHandler<'sweep'>;
