import { Worker } from 'bullmq';
import type { DubanConfig } from '../config/load-config';
import type { JobRunner } from './job-runner';
import { QUEUE_NAME } from './job-queue';
import type { RedisClient } from './redis-connection';

/** Takes duban's jobs off the queue one at a time and hands them to the guarded runner, which checks name and payload. */
export function createJobWorker(
  connection: RedisClient,
  prefix: string,
  runner: JobRunner,
  opts: Pick<DubanConfig['queue'], 'lockDurationMs' | 'stalledIntervalMs' | 'maxStalledCount'> = { lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 2 },
): Worker {
  return new Worker(QUEUE_NAME, async (job) => runner.run(job.name, job.data), {
    connection,
    prefix,
    concurrency: 1,
    autorun: true,
    lockDuration: opts.lockDurationMs,
    stalledInterval: opts.stalledIntervalMs,
    maxStalledCount: opts.maxStalledCount,
  });
}
