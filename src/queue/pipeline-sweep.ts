import type { Pipeline } from '../../jobs/handlers';
import { AnyStepSpec, PipelineView, rankOf } from '../../jobs/pipeline';
import type { Logger } from '../logger';
import type { JobQueue } from './job-queue';

/** A slot of a step that should have succeeded by now and has not. */
export interface Gap {
  step: string;
  slot: string;
  data: unknown;
  /** For `day` steps: the day, and the rank that orders them. */
  day?: string;
  rank: number;
  order: AnyStepSpec['order'];
}

/**
 * The one order in which the days' work is done, whatever order the queue hands it out in: every step of a lower
 * rank (by `follows`: ingest, then evaluation, then reconciliation and alerts) before any of a higher one, and within a
 * rank the oldest day first. Each reads what the ones before it wrote (a day's drop is measured against the day
 * before; the day a problem opens is the first evaluation that saw it), so a run that crashed and resumed out of
 * order would otherwise write a different history.
 */
export function precedes(a: { rank: number; day?: string }, b: { rank: number; day?: string }): boolean {
  return a.rank < b.rank || (a.rank === b.rank && (a.day ?? '') < (b.day ?? ''));
}

/**
 * Compares what Postgres says happened with what each step's declaration says should have (`due`), and enqueues the
 * difference. Job ids and job_runs make enqueueing a slot again harmless, and a slot that failed every attempt is
 * tried again. So a chain broken anywhere (a daemon killed between two steps, a job failed through an outage, Redis
 * lost) is mended at the next start or sweep.
 */
export class PipelineSweep {
  constructor(private readonly deps: { pipeline: Pipeline; view: PipelineView; queue: JobQueue; logger: Logger }) {}

  /** The ids of the jobs it enqueued (again). */
  async run(): Promise<string[]> {
    const ids: string[] = [];
    for (const g of await this.gaps()) ids.push(await this.deps.queue.enqueue(g.step, g.data, { retryFailed: true }));
    if (ids.length > 0) this.deps.logger.info({ jobs: ids }, 'sweep enqueued');
    return ids;
  }

  /** Every queued step's due slots that have not succeeded, in the order of the work (day steps by rank and day first). */
  async gaps(filter: (spec: AnyStepSpec) => boolean = () => true): Promise<Gap[]> {
    const { pipeline, view } = this.deps;
    const gaps: Gap[] = [];
    for (const [step, spec] of Object.entries(pipeline.steps)) {
      if (spec.runs !== 'queue' || !spec.due || !filter(spec)) continue;
      const due = (await spec.due(view)).map((data) => ({ data, slot: spec.slot(data) as string }));
      const done = await view.succeeded(step, due.map((d) => d.slot));
      const rank = rankOf(pipeline.steps, step);
      for (const d of due) {
        if (!done.has(d.slot)) gaps.push({ step, slot: d.slot, data: d.data, rank, order: spec.order, ...(spec.day ? { day: spec.day(d.data) } : {}) });
      }
    }
    const dayFirst = (g: Gap) => (g.order === 'day' ? 0 : 1);
    return gaps.sort((a, b) => dayFirst(a) - dayFirst(b) || (precedes(a, b) ? -1 : precedes(b, a) ? 1 : 0));
  }
}

