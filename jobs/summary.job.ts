import type { StepHandler } from './step-handler';

/** The director's summary of the week, after its letters; then the relay is woken for all of them. */
export const summary = (async (ctx, data) => {
  const outcome = await ctx.services.summary.writeWeek(data.week);
  return { result: { summary: outcome }, next: [{ step: 'deliver', data: { reason: `letters-${data.week}` } }] };
}) satisfies StepHandler<'summary'>;
