import { addDays, dayIn, parseDay } from '../src/domain/day';
import { evaluateJob } from './evaluate.job';
import type { JobDefinition } from './job-definition';

export interface IngestJobData {
  day: string;
  trigger?: string;
}

export class IngestFailedError extends Error {}

/** 日监测, part 1: every configured source's values for one day. */
export const ingestJob = {
  name: 'ingest',
  slot: (data) => parseDay(data.day),
  schedule: {
    cron: (config) => config.ingest.schedule,
    // Case data are T+1: the run on the 28th takes in the 27th.
    dataAt: (config, fireTime) => ({ day: addDays(dayIn(config.timezone, fireTime), -config.ingest.lagDays), trigger: 'daemon' }),
  },
  async handle(ctx, data) {
    const results = await ctx.services.ingest.ingestDay(parseDay(data.day), { trigger: data.trigger ?? 'daemon', logger: ctx.logger });
    const failed = results.filter((r) => r.status === 'failed');
    // A failed source fails the job so BullMQ retries it; the sources that succeeded are unchanged by the retry.
    if (failed.length > 0) throw new IngestFailedError(failed.map((f) => `${f.source}: ${f.error}`).join('; '));
    // Each verdict follows the newest run that changed its day or the days before it that its rules compare with:
    // the day's own, and, for a late or revised day, those of the days after it already judged. Asked of Postgres
    // rather than of this run's counts, so a run that committed just before its daemon died (and is re-run as
    // "unchanged") still gets its evaluations; a verdict already reached is a slot that does not run again.
    if (ctx.enqueue) {
      for (const next of await ctx.services.ingest.verdictsAfterChangeTo(parseDay(data.day), ctx.config.ingest.lookbackDays)) {
        await ctx.enqueue(evaluateJob.name, evaluateJob.slot(next), next);
      }
    }
    return results.map(({ source, runId, accepted, revised, unchanged, rejected }) => ({ source, runId, accepted, revised, unchanged, rejected }));
  },
} satisfies JobDefinition<IngestJobData>;
