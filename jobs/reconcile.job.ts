import { parseDay } from '../src/domain/day';
import { crashPoint } from '../src/ops/crash-points';
import type { JobDefinition } from './job-definition';

export interface ReconcileJobData {
  day: string;
  /** The ingest run whose evaluation this follows: a revised day is reconciled again. */
  afterRun: number;
}

/** 对账: after a day is judged, confirm recoveries, catch regressions and step overdue problems up the ladder. */
export const reconcileJob = {
  name: 'reconcile',
  slot: (data) => `${parseDay(data.day)}-r${data.afterRun}`,
  async handle(ctx, data) {
    const summary = await ctx.services.reconcile.reconcileDay(parseDay(data.day));
    crashPoint('reconcile.committed');
    return summary;
  },
} satisfies JobDefinition<ReconcileJobData>;
