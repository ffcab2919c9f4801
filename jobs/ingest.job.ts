import type { StepHandler } from './step-handler';

import type { SourceRunResult } from '../src/services/ingest.service';

/** A source failed: the job fails so that it is retried. Carries every source's result, for the CLI's report. */
export class IngestFailedError extends Error {
  constructor(readonly results: SourceRunResult[]) {
    super(results.filter((r) => r.status === 'failed').map((f) => `${f.source}: ${f.error}`).join('; '));
  }
}

/** 日监测, part 1: every configured source's values for one day (or the one source or file a person named). */
export const ingest = (async (ctx, data) => {
  const sources = ctx.services.ingest.sourcesFor({ source: data.source, file: data.file });
  const results = await ctx.services.ingest.ingestDay(data.day, { trigger: data.trigger, sources, logger: ctx.logger });
  const failed = results.filter((r) => r.status === 'failed');
  // A failed source fails the job so that it is retried; the sources that succeeded are unchanged by the retry.
  if (failed.length > 0) throw new IngestFailedError(results);
  // Each verdict follows the newest run that changed its day or the days before it that its rules compare with: the
  // day's own, and, for a late or revised day, those of the days after it already judged. Asked of Postgres rather
  // than of this run's counts, so a run that committed just before its daemon died (and is re-run as "unchanged")
  // still gets its evaluations; a verdict already reached is a slot that does not run again.
  const verdicts = await ctx.services.ingest.verdictsAfterChangeTo(data.day, ctx.config.ingest.lookbackDays);
  return {
    // What became of every cell, and the columns left unread (named, so that the CLI can warn about each).
    result: results.map(({ source, runId, accepted, revised, unchanged, duplicates, rejected, ignored, cellsSeen, inputs }) => ({
      source,
      runId,
      accepted,
      revised,
      unchanged,
      duplicates,
      rejected,
      ignored,
      cellsSeen,
      inputs: inputs.filter((i) => i.ignoredColumns?.length).map((i) => ({ name: i.name, ignoredColumns: i.ignoredColumns })),
    })),
    next: verdicts.map((v) => ({ step: 'evaluate' as const, data: v })),
  };
}) satisfies StepHandler<'ingest'>;
