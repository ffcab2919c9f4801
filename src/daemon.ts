import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { isJobName, JobDefinition, JobName, jobRegistry } from '../jobs';
import { App, openApp, OpenAppOptions } from './app';
import { addDays, dayRange } from './domain/day';
import { CronScheduler, lastFireTime } from './queue/cron-scheduler';
import { JobQueue } from './queue/job-queue';
import { JobRunner } from './queue/job-runner';
import { createJobWorker } from './queue/job-worker';
import { createRedis } from './queue/redis-connection';
import { JobRunRepository } from './repositories/job-run.repository';
import { RulesService } from './services/rules.service';

/**
 * The weekly letters are taken only when no ingest, evaluation or reconciliation waits (BullMQ takes jobs without a
 * priority first), so that after a restart they follow the backfilled days instead of overtaking them.
 */
const DIGEST_PRIORITY = 10;
/** How long the letters wait at most for other daemons' running jobs to finish. */
const QUIET_WAIT_MS = 10 * 60_000;

/**
 * On a fresh database the rules file becomes version 1, judging all history the calendar covers, so a new
 * installation monitors from its first day. Every later change goes through `duban rules apply` with a reason.
 */
async function adoptInitialRules(app: App): Promise<void> {
  const rules = new RulesService(app.database.db);
  if ((await rules.latest()).length > 0) return;
  const firstYear = Math.min(...app.config.calendar.map((c) => c.year));
  const { stored } = await rules.apply(app.config.rules, {
    by: 'duban',
    reason: '首次启动：按规则文件建立初始规则',
    effectiveFrom: `${firstYear}-01-01`,
  });
  if (stored.length > 0) app.logger.info({ rules: stored.map((r) => r.rule_id) }, 'initial rules stored');
}

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
    /** Tells a job waiting for the queue to go quiet that it will not: the daemon is stopping. */
    private readonly onStop: () => void,
  ) {}

  /** `cron: false` leaves the wall clock out (tests drive the slots themselves). */
  static async start(opts: OpenAppOptions & { cron?: boolean } = {}): Promise<Daemon> {
    const app = await openApp({ ...opts, prepare: true });
    const now = opts.now ?? (() => new Date());
    await adoptInitialRules(app);
    const redis = createRedis(app.env.redisUrl);
    const queue = new JobQueue(redis, app.env.queuePrefix);
    const workerRedis = redis.duplicate();
    const enqueue = async (name: string, slot: string, data: object) => {
      if (!isJobName(name)) throw new Error(`unknown job name: ${name}`);
      await queue.enqueue(name, slot, data, { attempts: app.config.ingest.attempts });
    };
    let stopping = false;
    const untilQuiet = async () => {
      const deadline = Date.now() + QUIET_WAIT_MS;
      while (!stopping && Date.now() < deadline && (await queue.busyBesides(1))) await new Promise((r) => setTimeout(r, 1000));
    };
    const worker = createJobWorker(workerRedis, app.env.queuePrefix, new JobRunner({ ...app.jobContext, enqueue, untilQuiet }));
    worker.on('error', (err) => app.logger.error({ err }, 'worker error'));
    const scheduler = new CronScheduler(app.config.timezone);
    const daemon = new Daemon(app, [redis, workerRedis], queue, worker, scheduler, now, () => {
      stopping = true;
    });

    if (opts.cron !== false) {
      const { ingest, digest, deliver } = jobRegistry;
      // Retries of a wake-up are pointless: the next tick comes in five minutes.
      daemon.schedule('ingest', ingest, app.config.ingest.attempts);
      daemon.schedule('digest', digest, app.config.ingest.attempts, DIGEST_PRIORITY);
      daemon.schedule('deliver', deliver, 1);
    }
    await daemon.backfill();
    app.logger.info({ timezone: app.config.timezone, sources: app.config.sources.map((s) => s.name) }, 'duban started');
    return daemon;
  }

  /**
   * Enqueues every day within the look-back whose ingest has not succeeded, up to the day of the latest scheduled
   * run: after downtime the daemon catches up by itself. Returns the job ids enqueued.
   */
  async backfill(): Promise<string[]> {
    const ids = [...(await this.backfillIngest()), ...(await this.backfillLetters())];
    if (ids.length > 0) this.app.logger.info({ jobs: ids }, 'backfill enqueued');
    return ids;
  }

  private async backfillIngest(): Promise<string[]> {
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
    return ids;
  }

  /** This week's letters, when their time has come and they have not gone out (the daemon was down on the day). */
  private async backfillLetters(): Promise<string[]> {
    const { config } = this.app;
    const digest = jobRegistry.digest;
    const fired = lastFireTime(digest.schedule.cron(config), config.timezone, this.now());
    const data = fired && digest.schedule.dataAt(config, fired);
    if (!data) return [];
    const done = await new JobRunRepository(this.app.database.db).succeededSlots('digest', [data.week]);
    if (done.has(data.week)) return [];
    return [await this.queue.enqueue('digest', data.week, data, { attempts: config.ingest.attempts, retryFailed: true, priority: DIGEST_PRIORITY })];
  }

  /** Enqueues the job's slot at each cron tick that has one due. */
  private schedule<Data extends object>(name: JobName, def: Required<Pick<JobDefinition<Data>, 'slot' | 'schedule'>>, attempts: number, priority?: number): void {
    const { config } = this.app;
    this.scheduler.add(name, def.schedule.cron(config), async (at) => {
      const data = def.schedule.dataAt(config, at);
      if (data) await this.safely(() => this.queue.enqueue(name, def.slot(data), data, { attempts, priority }));
    });
  }

  /** Stops taking work, lets the running job finish, then closes Redis and Postgres. */
  async stop(): Promise<void> {
    this.onStop();
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
