import { parseDay } from '../src/domain/day';
import { crashPoint } from '../src/ops/crash-points';
import type { JobDefinition } from './job-definition';
import { deliverJob } from './deliver.job';
import { reconcileJob } from './reconcile.job';

export interface EvaluateJobData {
  day: string;
  /** The newest ingest run of the day this evaluation follows: a later revision of the day is a new slot. */
  afterRun: number;
}

/**
 * 日监测, part 2: judge a day once its values are in, and again whenever an ingest changes them; the anomalies found
 * become problems to follow.
 */
export const evaluateJob = {
  name: 'evaluate',
  slot: (data) => `${parseDay(data.day)}-r${data.afterRun}`,
  async handle(ctx, data) {
    const day = parseDay(data.day);
    // Several changes in a row (a late day, then the next) queue a verdict after each; only the newest is worth reaching.
    const current = await ctx.services.ingest.verdictRun(day, ctx.config.ingest.lookbackDays);
    if (current !== undefined && current !== data.afterRun) return { superseded: `${day}-r${current}` };
    const evaluation = await ctx.services.evaluation.evaluateDay(day, { trigger: `ingest run ${data.afterRun}` });
    crashPoint('evaluate.judged');
    // Its own transaction: the evaluation is kept even if this step fails, and a retry picks up what is unattached.
    const problems = await ctx.services.problems.absorb(day);
    crashPoint('evaluate.absorbed');
    // Major anomalies reach their owners the same day.
    const alerts = await ctx.services.alerts.enqueueForDay(day);
    crashPoint('evaluate.alerted');
    if (ctx.enqueue) {
      await ctx.enqueue(reconcileJob.name, reconcileJob.slot(data), data);
      if (alerts.alerts > 0) {
        const wake = { reason: `alerts-${day}-r${data.afterRun}` };
        await ctx.enqueue(deliverJob.name, deliverJob.slot(wake), wake);
      }
    }
    return { evaluation, problems, alerts };
  },
} satisfies JobDefinition<EvaluateJobData>;
