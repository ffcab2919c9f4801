import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { JobContext, jobRegistry, JobName } from '../../jobs';
import { JobRunRepository } from '../repositories/job-run.repository';

export type JobOutcome = { status: 'done'; result: unknown } | { status: 'skipped'; reason: string };

/** Told of every run's end, e.g. to count it for /metrics. `result` is the handler's return value, for runs that did the work. */
export interface JobRunObserver {
  jobFinished(job: JobName, outcome: 'done' | 'skipped' | 'failed', seconds: number, result?: unknown): void;
}

export interface JobRunnerOptions {
  workerId?: string;
  /** The daemon passes its metrics; the CLI and tests run jobs without. */
  observer?: JobRunObserver;
}

/**
 * Runs a job once per (name, slot) however often it is delivered: the job_runs row is claimed before the work and
 * marked after it. Used by the BullMQ worker and directly by tests and the CLI.
 */
export class JobRunner {
  readonly workerId: string;
  private readonly jobRuns: JobRunRepository;
  private readonly observer?: JobRunObserver;
  private running?: { job: JobName; slot: string };

  constructor(
    private readonly ctx: JobContext,
    opts: JobRunnerOptions = {},
  ) {
    this.workerId = opts.workerId ?? `${hostname()}-${process.pid}`;
    this.observer = opts.observer;
    this.jobRuns = new JobRunRepository(ctx.db);
  }

  /** The job this runner is working on, if any: a stop that gives up waiting names it. */
  get current(): { job: JobName; slot: string } | undefined {
    return this.running;
  }

  async run(name: JobName, data: unknown): Promise<JobOutcome> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    let outcome: JobOutcome;
    try {
      outcome = await this.runOnce(name, data);
    } catch (err) {
      this.observe(name, 'failed', seconds());
      throw err;
    }
    this.observe(name, outcome.status, seconds(), outcome.status === 'done' ? outcome.result : undefined);
    return outcome;
  }

  private async runOnce(name: JobName, data: unknown): Promise<JobOutcome> {
    const def = jobRegistry[name];
    const slot = def.slot(data as never);
    const attempt = await this.jobRuns.claim(name, slot, this.workerId);
    if (attempt === undefined) return { status: 'skipped', reason: `${name}-${slot} 已成功运行过` };
    const log = this.ctx.logger.child({ job: name, slot, attempt });
    log.info('job started');
    this.running = { job: name, slot };
    try {
      const result = await def.handle({ ...this.ctx, logger: log }, data as never);
      await this.jobRuns.succeed(name, slot, result);
      log.info('job succeeded');
      return { status: 'done', result };
    } catch (err) {
      await this.jobRuns.fail(name, slot, (err as Error).message);
      log.error({ err }, 'job failed');
      throw err;
    } finally {
      this.running = undefined;
    }
  }

  private observe(name: JobName, outcome: 'done' | 'skipped' | 'failed', seconds: number, result?: unknown): void {
    try {
      this.observer?.jobFinished(name, outcome, seconds, result);
    } catch (err) {
      // Counting is not the job: a job that succeeded must not be retried because a metric could not be recorded.
      this.ctx.logger.warn({ err, job: name }, 'could not record job metrics');
    }
  }
}
