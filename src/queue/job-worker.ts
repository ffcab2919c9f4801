import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { isJobName } from '../../jobs';
import type { JobRunner } from './job-runner';
import { QUEUE_NAME } from './job-queue';

/** Takes duban's jobs off the queue one at a time and hands them to the guarded runner. */
export function createJobWorker(connection: Redis, prefix: string, runner: JobRunner): Worker {
  return new Worker(
    QUEUE_NAME,
    async (job) => {
      if (!isJobName(job.name)) throw new Error(`unknown job name: ${job.name}`);
      return runner.run(job.name, job.data);
    },
    { connection, prefix, concurrency: 1, autorun: true },
  );
}
