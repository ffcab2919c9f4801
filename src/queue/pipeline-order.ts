import type { Pipeline } from '../../jobs/handlers';
import { jobId, rankOf } from '../../jobs/pipeline';
import type { Logger } from '../logger';
import type { JobQueue } from './job-queue';
import { Gap, PipelineSweep, precedes } from './pipeline-sweep';
import type { SlotLocks } from './slot-locks';

/** How long a job waits at most for the steps before it, and an `after-days` step for other daemons' work. */
const WAIT_MS = 10 * 60_000;
/**
 * A step run here that failed (a source still missing its file) is not run here again for this long, however many
 * later jobs would want it first: the queue's retries and the sweep keep trying it.
 */
const INLINE_AGAIN_MS = 5 * 60_000;

/**
 * Keeps the work in the one order of `precedes` and the steps' `order`, whatever order the queue hands it out in (a
 * daemon that died mid-job, a retry, several daemons): before a day step, the day steps before it; before an
 * `after-days` step (the letters), other daemons' work and every day step of the look-back.
 */
export class PipelineOrder {
  private stopping = false;
  private runInline: (gap: Gap) => Promise<unknown> = async () => undefined;
  /** When each slot was last run here. */
  private readonly ranInline = new Map<string, number>();

  constructor(private readonly deps: { pipeline: Pipeline; sweep: PipelineSweep; slotLocks: SlotLocks; queue: JobQueue; logger: Logger }) {}

  /** The runner missing steps are run through (it exists only after the job context that refers to this). */
  useRunner(run: (gap: Gap) => Promise<unknown>): void {
    this.runInline = run;
  }

  /** The daemon is stopping: nobody waits any more. */
  stop(): void {
    this.stopping = true;
  }

  /** The job runner's hook before a job's work. */
  readonly before = async (step: string, data: unknown): Promise<void> => {
    const spec = this.deps.pipeline.steps[step]!;
    if (spec.order === 'day') {
      const job = { rank: rankOf(this.deps.pipeline.steps, step), day: spec.day!(data) };
      await this.completeEarlier((g) => precedes(g, job));
    } else if (spec.order === 'after-days') {
      await this.untilQuiet();
    }
  };

  /** Other daemons' work finished, then every day step of the look-back done. */
  private async untilQuiet(): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!this.stopping && Date.now() < deadline && (await this.deps.queue.busyBesides(1))) await sleep(1000);
    await this.completeEarlier(() => true);
  }

  /**
   * Completes every missing day step that `isEarlier` picks: one a live runner holds is waited for; one nobody holds
   * (left by a daemon that died, failed every attempt, or queued behind the very job asking) is run here, and job_runs
   * keeps its queued copy from running again. Bounded in time: a day that cannot be had is left behind.
   */
  private async completeEarlier(isEarlier: (gap: Gap) => boolean): Promise<void> {
    const { sweep, slotLocks, logger } = this.deps;
    const deadline = Date.now() + WAIT_MS;
    const recentlyRun = (id: string) => Date.now() - (this.ranInline.get(id) ?? -Infinity) < INLINE_AGAIN_MS;
    while (!this.stopping && Date.now() < deadline) {
      const earlier = (await sweep.gaps((s) => s.order === 'day')).filter((g) => isEarlier(g) && !recentlyRun(jobId(g.step, g.slot)));
      if (earlier.length === 0) return;
      let waiting = false;
      for (const gap of earlier) {
        if (await slotLocks.isHeld(gap.step, gap.slot)) {
          waiting = true;
          continue;
        }
        for (const [id, at] of this.ranInline) if (Date.now() - at >= INLINE_AGAIN_MS) this.ranInline.delete(id);
        this.ranInline.set(jobId(gap.step, gap.slot), Date.now());
        await this.runInline(gap).catch((err: unknown) => logger.warn({ err, job: jobId(gap.step, gap.slot) }, 'an earlier step could not be completed first'));
      }
      if (waiting) await sleep(500);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
