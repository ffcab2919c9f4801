import { Queue } from 'bullmq';
import type { Pipeline } from '../../jobs/handlers';
import { jobId, StepData, StepName } from '../../jobs/pipeline';
import type { DubanConfig } from '../config/load-config';
import type { RedisClient } from './redis-connection';

export const QUEUE_NAME = 'duban';

export interface EnqueueOptions {
  /** A job of this id that failed every attempt is run again (the sweep), instead of being left as is. */
  retryFailed?: boolean;
  /** Overrides the step's declared attempts (the demo fails fast). */
  attempts?: number;
}

/**
 * The one queue of duban's jobs: a job is a step and a slot. Its id names both, so enqueueing a slot twice adds it
 * once; its attempts and priority are the step's, as declared in jobs/pipeline.ts.
 */
export class JobQueue {
  readonly queue: Queue;

  constructor(
    connection: RedisClient,
    prefix: string,
    private readonly config: DubanConfig,
    private readonly pipeline: Pipeline,
  ) {
    this.queue = new Queue(QUEUE_NAME, { connection, prefix });
  }

  /** Adds the step's slot; returns the job id. */
  enqueue<K extends StepName>(step: K, data: StepData<K>, opts?: EnqueueOptions): Promise<string>;
  enqueue(step: string, data: unknown, opts?: EnqueueOptions): Promise<string>;
  async enqueue(step: string, data: unknown, opts: EnqueueOptions = {}): Promise<string> {
    const spec = this.pipeline.steps[step];
    if (!spec) throw new Error(`unknown step: ${step}`);
    if (spec.runs !== 'queue') throw new Error(`step ${step} runs in each daemon, not through the queue`);
    const id = jobId(step, spec.slot(data));
    const job = await this.queue.add(step, data as object, {
      jobId: id,
      attempts: opts.attempts ?? spec.attempts(this.config),
      ...(spec.priority ? { priority: spec.priority } : {}),
      // The first retry of a failed job waits this long, each later one twice as long as the one before.
      backoff: { type: 'exponential', delay: this.config.queue.retryDelayMs },
      // Kept a while so a second enqueue of the same slot is recognised in Redis too; job_runs is the lasting guard.
      removeOnComplete: { age: 14 * 86_400 },
      removeOnFail: { age: 30 * 86_400 },
    });
    if (opts.retryFailed && (await job.isFailed())) await job.retry('failed');
    return id;
  }

  /**
   * Whether other daemons are at work: a job runs besides the caller's own, or jobs wait and another worker is there
   * to take them. Jobs waiting for the caller's own worker only would wait for the caller: those do not count.
   */
  async busyBesides(ownActive: number): Promise<boolean> {
    const counts = await this.queue.getJobCounts('waiting', 'active');
    if ((counts.active ?? 0) > ownActive) return true;
    return (counts.waiting ?? 0) > 0 && (await this.queue.getWorkersCount()) > 1;
  }

  /** A key of the queue: on a cluster it names the slot (the node) that holds the whole queue. */
  get metaKey(): string {
    return this.queue.keys.meta!;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
