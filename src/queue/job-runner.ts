import { hostname } from 'node:os';
import { JobContext, jobRegistry, JobName } from '../../jobs';
import { JobRunRepository } from '../repositories/job-run.repository';

export type JobOutcome = { status: 'done'; result: unknown } | { status: 'skipped'; reason: string };

/**
 * Runs a job once per (name, slot) however often it is delivered: the job_runs row is claimed before the work and
 * marked after it. Used by the BullMQ worker and directly by tests and the CLI.
 */
export class JobRunner {
  private readonly jobRuns: JobRunRepository;

  constructor(
    private readonly ctx: JobContext,
    readonly workerId = `${hostname()}-${process.pid}`,
  ) {
    this.jobRuns = new JobRunRepository(ctx.db);
  }

  async run(name: JobName, data: unknown): Promise<JobOutcome> {
    const def = jobRegistry[name];
    const slot = def.slot(data as never);
    const attempt = await this.jobRuns.claim(name, slot, this.workerId);
    if (attempt === undefined) return { status: 'skipped', reason: `${name}-${slot} 已成功运行过` };
    const log = this.ctx.logger.child({ job: name, slot, attempt });
    log.info('job started');
    try {
      const result = await def.handle({ ...this.ctx, logger: log }, data as never);
      await this.jobRuns.succeed(name, slot, result);
      log.info('job succeeded');
      return { status: 'done', result };
    } catch (err) {
      await this.jobRuns.fail(name, slot, (err as Error).message);
      log.error({ err }, 'job failed');
      throw err;
    }
  }
}
