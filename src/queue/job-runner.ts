import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { JobContext, jobRegistry, JobName } from '../../jobs';
import { inJobScope } from '../logger';
import { crashPoint } from '../ops/crash-points';
import { JobRunRepository } from '../repositories/job-run.repository';
import type { SlotLocks } from './slot-locks';

export type JobOutcome = { status: 'done'; result: unknown } | { status: 'skipped'; reason: string };

/** Told of every run's end, e.g. to count it for /metrics. `result` is the handler's return value, for runs that did the work. */
export interface JobRunObserver {
  jobFinished(job: JobName, outcome: 'done' | 'skipped' | 'failed', seconds: number, result?: unknown): void;
}

export interface JobRunnerOptions {
  workerId?: string;
  /** The daemon passes its metrics; the CLI and tests run jobs without. */
  observer?: JobRunObserver;
  /** Held per slot while it runs, so that others can tell a live run from a dead one's leftover 'running' row. */
  slotLocks?: SlotLocks;
  /** Runs before the work, once the slot is claimed: the daemon completes the days' earlier steps first. */
  before?: (name: JobName, data: unknown) => Promise<void>;
}

/**
 * Runs a job once per (name, slot) however often it is delivered: the job_runs row is claimed before the work and
 * marked after it. Used by the BullMQ worker and directly by tests and the CLI.
 */
export class JobRunner {
  readonly workerId: string;
  private readonly jobRuns: JobRunRepository;
  private readonly observer?: JobRunObserver;
  private readonly slotLocks?: SlotLocks;
  private readonly before?: (name: JobName, data: unknown) => Promise<void>;
  private running?: { job: JobName; slot: string };

  constructor(
    private readonly ctx: JobContext,
    opts: JobRunnerOptions = {},
  ) {
    this.workerId = opts.workerId ?? `${hostname()}-${process.pid}`;
    this.observer = opts.observer;
    this.slotLocks = opts.slotLocks;
    this.before = opts.before;
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
    const slot = jobRegistry[name].slot(data as never);
    const run = () => inJobScope(name, slot, () => this.runHeld(name, slot, data));
    return this.slotLocks ? this.slotLocks.hold(name, slot, run) : run();
  }

  private async runHeld(name: JobName, slot: string, data: unknown): Promise<JobOutcome> {
    const def = jobRegistry[name];
    const attempt = await this.jobRuns.claim(name, slot, this.workerId);
    if (attempt === undefined) return { status: 'skipped', reason: `${name}-${slot} 已成功运行过` };
    // The job and slot come with every line logged in the job's scope, whichever logger logs it.
    const log = this.ctx.logger.child({ attempt });
    log.info('job started');
    // A job may run another inside it (the letters complete a missing day first): the outer one is current again after.
    const outer = this.running;
    this.running = { job: name, slot };
    try {
      await this.before?.(name, data);
      const result = await def.handle({ ...this.ctx, logger: log }, data as never);
      await this.jobRuns.succeed(name, slot, result);
      crashPoint('job.recorded');
      log.info('job succeeded');
      return { status: 'done', result };
    } catch (err) {
      await this.jobRuns.fail(name, slot, (err as Error).message);
      log.error({ err }, 'job failed');
      throw err;
    } finally {
      this.running = outer;
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
