import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobRegistry } from '../jobs';
import { App, openApp, OpenAppOptions } from './app';
import { addDays, dayRange } from './domain/day';
import { CronScheduler, lastFireTime } from './queue/cron-scheduler';
import { JobQueue } from './queue/job-queue';
import { JobRunner } from './queue/job-runner';
import { createJobWorker } from './queue/job-worker';
import { createRedis } from './queue/redis-connection';
import { JobRunRepository } from './repositories/job-run.repository';

/**
 * The long-running process: cron enqueues, the worker runs, Postgres remembers. Any number of daemons may share one
 * Postgres and Redis; job ids and the job_runs guard keep each slot to one run.
 */
export class Daemon {
  private constructor(
    readonly app: App,
    private readonly redis: Redis[],
    readonly queue: JobQueue,
    private readonly worker: Worker,
    private readonly scheduler: CronScheduler,
    private readonly now: () => Date,
  ) {}

  /** `cron: false` leaves the wall clock out (tests drive the slots themselves). */
  static async start(opts: OpenAppOptions & { cron?: boolean } = {}): Promise<Daemon> {
    const app = await openApp({ ...opts, prepare: true });
    const now = opts.now ?? (() => new Date());
    const redis = createRedis(app.env.redisUrl);
    const queue = new JobQueue(redis, app.env.queuePrefix);
    const workerRedis = redis.duplicate();
    const worker = createJobWorker(workerRedis, app.env.queuePrefix, new JobRunner(app.jobContext));
    worker.on('error', (err) => app.logger.error({ err }, 'worker error'));
    const scheduler = new CronScheduler(app.config.timezone);
    const daemon = new Daemon(app, [redis, workerRedis], queue, worker, scheduler, now);

    const ingest = jobRegistry.ingest;
    if (opts.cron !== false) scheduler.add('ingest', ingest.schedule.cron(app.config), async (at) => {
      const data = ingest.schedule.dataAt(app.config, at);
      await daemon.safely(() => queue.enqueue('ingest', ingest.slot(data), data, { attempts: app.config.ingest.attempts }));
    });
    await daemon.backfill();
    app.logger.info({ timezone: app.config.timezone, sources: app.config.sources.map((s) => s.name) }, 'duban started');
    return daemon;
  }

  /**
   * Enqueues every day within the look-back whose ingest has not succeeded, up to the day of the latest scheduled
   * run: after downtime the daemon catches up by itself. Returns the job ids enqueued.
   */
  async backfill(): Promise<string[]> {
    const { config } = this.app;
    const ingest = jobRegistry.ingest;
    const fired = lastFireTime(ingest.schedule.cron(config), config.timezone, this.now());
    if (!fired || config.ingest.lookbackDays === 0) return [];
    const latest = ingest.schedule.dataAt(config, fired).day;
    const days = dayRange(addDays(latest, -(config.ingest.lookbackDays - 1)), latest);
    const done = await new JobRunRepository(this.app.database.db).succeededSlots('ingest', days);
    const ids: string[] = [];
    for (const day of days.filter((d) => !done.has(d))) {
      ids.push(await this.queue.enqueue('ingest', day, { day, trigger: 'backfill' }, { attempts: config.ingest.attempts, retryFailed: true }));
    }
    if (ids.length > 0) this.app.logger.info({ jobs: ids }, 'backfill enqueued');
    return ids;
  }

  /** Stops taking work, lets the running job finish, then closes Redis and Postgres. */
  async stop(): Promise<void> {
    await this.scheduler.stop();
    await this.worker.close();
    await this.queue.close();
    for (const r of this.redis) r.disconnect();
    await this.app.close();
    this.app.logger.info('duban stopped');
  }

  private async safely(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      // Redis may be down at the cron minute; the next start's backfill enqueues what was missed.
      this.app.logger.error({ err }, 'could not enqueue scheduled job');
    }
  }
}
