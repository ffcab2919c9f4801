import { crashPoint } from '../src/crash-points';
import type { StepHandler } from './step-handler';

/**
 * 日监测, part 2: judge a day once its values are in, and again whenever an ingest changes them or the days its rules
 * compare with; the anomalies found become problems to follow. Reconciliation and the day's alerts follow.
 */
export const evaluate = (async (ctx, data) => {
  const evaluation = await ctx.services.evaluation.evaluateDay(data.day, { trigger: data.rerun ? `cli ${data.rerun}` : `ingest run ${data.afterRun}` });
  crashPoint('evaluate.judged');
  // Its own transaction: the evaluation is kept even if this fails, and a retry picks up what is unattached.
  const problems = await ctx.services.problems.absorb(data.day);
  crashPoint('evaluate.absorbed');
  return {
    result: { evaluation, problems },
    next: [
      { step: 'reconcile', data },
      { step: 'alerts', data },
    ],
  };
}) satisfies StepHandler<'evaluate'>;
