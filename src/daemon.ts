import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { isJobName, JobDefinition, jobId, JobName, jobRegistry } from '../jobs';
import { App, openApp, OpenAppOptions } from './app';
import type { DubanConfig } from './config/load-config';
import { dayIn } from './domain/day';
import { OpsMetrics } from './ops/metrics';
import { OpsServer } from './ops/ops-server';
import { ReadinessCheck } from './ops/readiness';
import { settlesWithin } from './ops/timeouts';
import { CronScheduler } from './queue/cron-scheduler';
import { JobQueue } from './queue/job-queue';
import { JobRunner } from './queue/job-runner';
import { createJobWorker } from './queue/job-worker';
import { PipelineOrder } from './queue/pipeline-order';
import { DIGEST_PRIORITY, PipelineSweep } from './queue/pipeline-sweep';
import { SlotLocks } from './queue/slot-locks';
import { createRedis } from './queue/redis-connection';
import { OpsRepository } from './repositories/ops.repository';
import { RulesService } from './services/rules.service';

/**
 * After the grace has run out, how long a stop still waits for Postgres connections to be returned. A job left running
 * holds one until its statement ends; the process exit closes it instead, and Postgres rolls its transaction back.
 */
const POOL_DRAIN_MS = 5000;

export interface DaemonOptions extends OpenAppOptions {
  /** `false` leaves the wall clock out (tests drive the slots themselves). */
  cron?: boolean;
  /** Overrides the config's `ops` section, e.g. port 0 in tests. */
  ops?: Partial<DubanConfig['ops']>;
}

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
    private readonly runner: JobRunner,
    private readonly scheduler: CronScheduler,
    private readonly opsServer: OpsServer,
    /** The port /healthz, /readyz and /metrics answer on: the configured one, or the one picked for port 0. */
    readonly opsPort: number,
    /** How long a stop waits for the running job before handing it back. */
    readonly shutdownGraceMs: number,
    private readonly sweep: PipelineSweep,
    /** Told of a stop, so that a job waiting for others' work stops waiting. */
    private readonly order: PipelineOrder,
  ) {}

  static async start(opts: DaemonOptions = {}): Promise<Daemon> {
    const app = await openApp({ ...opts, prepare: true });
    const now = opts.now ?? app.now;
    await adoptInitialRules(app);
    const ops = { ...app.config.ops, ...opts.ops };
    const redis = createRedis(app.env.redisUrl);
    const queue = new JobQueue(redis, app.env.queuePrefix, app.config.queue.retryDelayMs);
    const metrics = new OpsMetrics({ repo: new OpsRepository(app.database.db), today: () => dayIn(app.config.timezone, now()) });
    const opsServer = new OpsServer({
      readiness: new ReadinessCheck({ db: app.database.db, redis, smtp: app.mailTransport }),
      metrics,
      logger: app.logger,
    });
    let opsPort: number;
    try {
      // Before the worker exists: a daemon that cannot serve its endpoints stops before it takes any job.
      opsPort = await opsServer.listen(ops.host, ops.port);
    } catch (err) {
      await queue.close();
      redis.disconnect();
      await app.close();
      throw new Error(`运维接口无法在 ${ops.host}:${ops.port} 上监听：${(err as Error).message}。请在 duban.yaml 的 ops.port 中换一个端口`);
    }
    const workerRedis = redis.duplicate();
    const enqueue = async (name: string, slot: string, data: object) => {
      if (!isJobName(name)) throw new Error(`unknown job name: ${name}`);
      await queue.enqueue(name, slot, data, { attempts: app.config.ingest.attempts });
    };
    const sweep = new PipelineSweep({ db: app.database.db, queue, config: app.config, logger: app.logger, now, relay: app.jobContext.services.relay !== undefined });
    const slotLocks = new SlotLocks(app.database.pool);
    const order = new PipelineOrder({ sweep, slotLocks, queue, logger: app.logger });
    const runner = new JobRunner({ ...app.jobContext, enqueue, untilQuiet: order.untilQuiet }, { observer: metrics, slotLocks, before: order.before });
    order.useRunner((gap) => runner.run(gap.name, gap.data));
    const worker = createJobWorker(workerRedis, app.env.queuePrefix, runner, app.config.queue);
    worker.on('error', (err) => app.logger.error({ err }, 'worker error'));
    const scheduler = new CronScheduler(app.config.timezone);
    const daemon = new Daemon(app, [redis, workerRedis], queue, worker, runner, scheduler, opsServer, opsPort, ops.shutdownGraceMs, sweep, order);

    if (opts.cron !== false) {
      const { ingest, digest, deliver } = jobRegistry;
      // Retries of a wake-up are pointless: the next tick comes in five minutes.
      daemon.schedule('ingest', ingest, app.config.ingest.attempts);
      daemon.schedule('digest', digest, app.config.ingest.attempts, DIGEST_PRIORITY);
      daemon.schedule('deliver', deliver, 1);
      daemon.scheduler.add('sweep', app.config.queue.sweep, () => daemon.safely(() => sweep.run()));
    }
    await daemon.backfill();
    app.logger.info(
      { timezone: app.config.timezone, sources: app.config.sources.map((s) => s.name), ops: `http://${ops.host}:${opsPort}` },
      'duban started',
    );
    return daemon;
  }

  /** Enqueues what the pipeline is missing (after downtime: the days, letters and messages not done). Returns the job ids. */
  async backfill(): Promise<string[]> {
    return this.sweep.run();
  }

  /** Enqueues the job's slot at each cron tick that has one due. */
  private schedule<Data extends object>(name: JobName, def: Required<Pick<JobDefinition<Data>, 'slot' | 'schedule'>>, attempts: number, priority?: number): void {
    const { config } = this.app;
    this.scheduler.add(name, def.schedule.cron(config), async (at) => {
      const data = def.schedule.dataAt(config, at);
      if (data) await this.safely(() => this.queue.enqueue(name, def.slot(data), data, { attempts, priority }));
    });
  }

  /**
   * Stops taking work and lets the running job finish, for at most `ops.shutdownGraceMs`; then closes the ops
   * endpoints, Redis and Postgres. A job still running then is handed back rather than waited for: this worker stops
   * renewing its BullMQ lock, so once the lock expires another daemon (or this one's next start) takes it up again,
   * and job_runs still lets the slot succeed only once.
   */
  async stop(): Promise<void> {
    this.order.stop();
    await this.scheduler.stop();
    // BullMQ's close stops fetching at once and resolves when the running job is done; a later close(true) would only
    // return this same promise, so past the grace it is left to finish in the background instead of being awaited.
    const closing = this.worker.close();
    const finished = await settlesWithin(closing, this.shutdownGraceMs);
    if (!finished) {
      closing.catch(() => undefined);
      const running = this.runner.current;
      this.app.logger.warn(
        { job: running ? jobId(running.job, running.slot) : undefined, graceMs: this.shutdownGraceMs },
        'shutdown grace expired: the running job is handed back to the queue; another worker retries it once its lock expires',
      );
    }
    // While the job ran the endpoints still answered; they go before the connections they report on.
    await this.opsServer.close();
    await this.queue.close();
    // Disconnecting the worker's connection also ends the renewal of a handed-back job's lock.
    for (const r of this.redis) r.disconnect();
    if (finished) await this.app.close();
    else if (!(await settlesWithin(this.app.close(), POOL_DRAIN_MS))) this.app.logger.warn('postgres connections still held by the handed-back job; the process exit closes them');
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
