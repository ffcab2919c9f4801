import { crashPoint } from '../src/crash-points';
import type { StepHandler } from './step-handler';

/** 对账: after a day is judged, confirm recoveries, catch regressions and step overdue problems up the ladder. */
export const reconcile = (async (ctx, data) => {
  const summary = await ctx.services.reconcile.reconcileDay(data.day);
  crashPoint('reconcile.committed');
  return { result: summary };
}) satisfies StepHandler<'reconcile'>;
