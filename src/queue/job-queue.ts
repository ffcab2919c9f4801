import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobId, JobName } from '../../jobs';

export const QUEUE_NAME = 'duban';

export interface EnqueueOptions {
  attempts: number;
  /** A job of this id that failed every attempt is run again (backfill), instead of being left as is. */
  retryFailed?: boolean;
  /** Taken only when no job without a priority is waiting: for work that should follow the day's pipeline. */
  priority?: number;
}

/** The one queue of duban's jobs. Job ids name their slot, so enqueueing a slot twice adds it once. */
export class JobQueue {
  readonly queue: Queue;

  constructor(
    connection: Redis,
    prefix: string,
    /** The first retry of a failed job waits this long, each later one twice as long as the one before. */
    private readonly retryDelayMs = 30_000,
  ) {
    this.queue = new Queue(QUEUE_NAME, { connection, prefix });
  }

  async enqueue(name: JobName, slot: string, data: object, opts: EnqueueOptions): Promise<string> {
    const id = jobId(name, slot);
    const job = await this.queue.add(name, data, {
      jobId: id,
      attempts: opts.attempts,
      ...(opts.priority ? { priority: opts.priority } : {}),
      backoff: { type: 'exponential', delay: this.retryDelayMs },
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

  async close(): Promise<void> {
    await this.queue.close();
  }
}
