import type { StepHandler } from './step-handler';

/** 周交办: the week's letters; the director's summary follows. The order has every day of the look-back done first. */
export const letters = (async (ctx, data) => {
  const report = await ctx.services.letters.issueWeek(data.week);
  return { result: report, next: [{ step: 'summary', data }] };
}) satisfies StepHandler<'letters'>;
