import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Pipeline } from '../../jobs/handlers';
import { jobId, PipelineView, rankOf, StepData, StepName } from '../../jobs/pipeline';
import type { StepContext } from '../../jobs/step-handler';
import type { Db } from '../db/database';
import { crashPoint } from '../crash-points';
import { inJobScope } from '../logger';
import { JobRunRepository } from '../repositories/job-run.repository';
import type { SlotLocks } from './slot-locks';

/** A slot of a step to run after another. */
export interface NextJob {
  step: string;
  data: unknown;
}

/** A run's end: the work done (or passed over as overtaken), or nothing because the slot had already succeeded. */
export type JobOutcome =
  | { status: 'done'; step: string; slot: string; result: unknown; superseded?: string; next: NextJob[]; followed: JobOutcome[] }
  | { status: 'skipped'; step: string; slot: string; reason: string };

/** Told of every run's end, e.g. to count it for /metrics. `result` is the handler's, for runs that did the work. */
export interface JobRunObserver {
  jobFinished(job: string, outcome: 'done' | 'skipped' | 'failed', seconds: number, result?: unknown): void;
}

/** Where the slots a run sets off go: onto the queue (a daemon), or run here in turn once it succeeded (the CLI). */
export type FollowUps = { mode: 'enqueue'; enqueue: (next: NextJob) => Promise<void> } | { mode: 'inline' };

export interface JobRunnerOptions {
  workerId?: string;
  followUps: FollowUps;
  /** The daemon passes its metrics; the CLI and tests run jobs without. */
  observer?: JobRunObserver;
  /** Held per slot while it runs, so that others can tell a live run from a dead one's leftover 'running' row. */
  slotLocks?: SlotLocks;
  /** Runs before the work, once the slot is claimed: the daemon completes the steps that come first (the order). */
  before?: (step: string, data: unknown) => Promise<void>;
}

/**
 * Runs a step for a slot once however often it is delivered: the job_runs row is claimed before the work and marked
 * after it, and the payload is checked against the step's declaration. The one way any step runs: from the queue's
 * worker, from the order completing earlier work, and from the CLI.
 */
export class JobRunner {
  readonly workerId: string;
  private readonly jobRuns: JobRunRepository;
  private running?: { job: string; slot: string };

  constructor(
    private readonly deps: { db: Db; pipeline: Pipeline; context: StepContext; view: PipelineView },
    private readonly opts: JobRunnerOptions,
  ) {
    this.workerId = opts.workerId ?? `${hostname()}-${process.pid}`;
    this.jobRuns = new JobRunRepository(deps.db);
  }

  /** The job this runner is working on, if any: a stop that gives up waiting names it. */
  get current(): { job: string; slot: string } | undefined {
    return this.running;
  }

  /** Runs a step of duban's pipeline (typed), or of the pipeline the runner was built with. */
  run<K extends StepName>(step: K, data: StepData<K>): Promise<JobOutcome>;
  run(step: string, data: unknown): Promise<JobOutcome>;
  async run(step: string, input: unknown): Promise<JobOutcome> {
    const outcome = await this.runOne(step, input);
    if (outcome.status !== 'done' || this.opts.followUps.mode !== 'inline') return outcome;
    // The CLI's follow-ups, as work of their own after this one's success, in the order a daemon does the work (lower
    // rank first, then the older day: every evaluation a change calls for before any reconciliation). One that fails
    // stops there and is the command's error; a daemon's sweep picks the rest up.
    const pending = outcome.next.map((next, k) => ({ next, parent: outcome, k }));
    let k = pending.length;
    while (pending.length > 0) {
      pending.sort((a, b) => this.orderKey(a.next).localeCompare(this.orderKey(b.next)) || a.k - b.k);
      const { next, parent } = pending.shift()!;
      const done = await this.runOne(next.step, next.data);
      (parent as Extract<JobOutcome, { status: 'done' }>).followed.push(done);
      if (done.status === 'done') pending.push(...done.next.map((n) => ({ next: n, parent: done, k: k++ })));
    }
    return outcome;
  }

  /** Where a slot stands in the order of the work: its step's rank, then its day. */
  private orderKey(job: NextJob): string {
    const spec = this.deps.pipeline.steps[job.step];
    if (!spec) return '9';
    return `${String(rankOf(this.deps.pipeline.steps, job.step)).padStart(2, '0')}/${spec.day?.(spec.payload.parse(job.data)) ?? ''}`;
  }

  private async runOne(step: string, input: unknown): Promise<JobOutcome> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const spec = this.deps.pipeline.steps[step];
    if (!spec) throw new Error(`unknown step: ${step}`);
    let outcome: JobOutcome;
    try {
      const data = spec.payload.parse(input) as unknown;
      const slot = spec.slot(data);
      // A step every daemon runs at its own tick (the sweep) has no slot to guard among them.
      const guarded = spec.runs === 'queue';
      const run = () => inJobScope(step, slot, () => (guarded ? this.runHeld(step, slot, data) : this.runHere(step, slot, data)));
      outcome = await (this.opts.slotLocks && guarded ? this.opts.slotLocks.hold(step, slot, run) : run());
    } catch (err) {
      this.observe(step, 'failed', seconds());
      throw err;
    }
    this.observe(step, outcome.status, seconds(), outcome.status === 'done' ? outcome.result : undefined);
    return outcome;
  }

  private async runHeld(step: string, slot: string, data: unknown): Promise<JobOutcome> {
    const attempt = await this.jobRuns.claim(step, slot, this.workerId);
    if (attempt === undefined) return { status: 'skipped', step, slot, reason: `${jobId(step, slot)} 已成功运行过` };
    // The job and slot come with every line logged in the job's scope, whichever logger logs it.
    const log = this.deps.context.logger.child({ attempt });
    log.info('job started');
    // A job may run another inside it (the order completes a missing day first): the outer one is current again after.
    const outer = this.running;
    this.running = { job: step, slot };
    try {
      await this.opts.before?.(step, data);
      const superseded = await this.deps.pipeline.steps[step]!.current?.(this.deps.view, data);
      const handler = this.deps.pipeline.handlers[step]!;
      const { result, next = [] } = superseded ? { result: { superseded } } : await handler({ ...this.deps.context, logger: log }, data as never);
      // Queued before the slot is marked done: a run cut off in between runs again and queues them again, which their
      // job ids make harmless.
      if (this.opts.followUps.mode === 'enqueue') for (const f of next) await this.opts.followUps.enqueue(f);
      await this.jobRuns.succeed(step, slot, result);
      crashPoint('job.recorded');
      if (superseded) log.info({ superseded }, 'job overtaken: nothing to do');
      else log.info('job succeeded');
      return { status: 'done', step, slot, result, ...(superseded ? { superseded } : {}), next, followed: [] };
    } catch (err) {
      await this.jobRuns.fail(step, slot, (err as Error).message);
      log.error({ err }, 'job failed');
      throw err;
    } finally {
      this.running = outer;
    }
  }

  private async runHere(step: string, slot: string, data: unknown): Promise<JobOutcome> {
    const { result, next = [] } = await this.deps.pipeline.handlers[step]!(this.deps.context, data as never);
    if (this.opts.followUps.mode === 'enqueue') for (const f of next) await this.opts.followUps.enqueue(f);
    return { status: 'done', step, slot, result, next, followed: [] };
  }

  private observe(step: string, outcome: 'done' | 'skipped' | 'failed', seconds: number, result?: unknown): void {
    try {
      this.opts.observer?.jobFinished(step, outcome, seconds, result);
    } catch (err) {
      // Counting is not the job: a job that succeeded must not be retried because a metric could not be recorded.
      this.deps.context.logger.warn({ err, job: step }, 'could not record job metrics');
    }
  }
}
