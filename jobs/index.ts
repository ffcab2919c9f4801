import { deliverJob } from './deliver.job';
import { digestJob } from './digest.job';
import { evaluateJob } from './evaluate.job';
import { ingestJob } from './ingest.job';
import { reconcileJob } from './reconcile.job';
import type { JobDefinition } from './job-definition';

export const JOB_NAMES = ['ingest', 'evaluate', 'reconcile', 'digest', 'deliver'] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** Every job name has a handler: adding a name without one fails to compile. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const jobRegistry = { ingest: ingestJob, evaluate: evaluateJob, reconcile: reconcileJob, digest: digestJob, deliver: deliverJob } satisfies Record<JobName, JobDefinition<any>>;

export function isJobName(name: string): name is JobName {
  return (JOB_NAMES as readonly string[]).includes(name);
}

export { jobId } from './job-definition';
export type { JobContext, JobDefinition } from './job-definition';
