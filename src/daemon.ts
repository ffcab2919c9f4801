import type { Worker } from 'bullmq';
import { jobId, StepData, StepName } from '../jobs/pipeline';
import { ApiServer } from './api/api-server';
import { AppContext, AppOptions } from './app-context';
import type { DubanConfig } from './config/load-config';
import { checkKeyPair, readSigningKey } from './config/signing-key';
import { addDays, dayIn } from './domain/day';
import { unappliedThresholdsWarning } from './domain/indicator-thresholds';
import { OpsMetrics } from './ops/metrics';
import { OpsServer } from './ops/ops-server';
import { ReadinessCheck } from './ops/readiness';
import { settlesWithin } from './ops/timeouts';
import { CronScheduler } from './queue/cron-scheduler';
import { EnqueueOptions, JobQueue } from './queue/job-queue';
import { JobRunner } from './queue/job-runner';
import { createJobWorker } from './queue/job-worker';
import { PipelineOrder } from './queue/pipeline-order';
import { PipelineSweep } from './queue/pipeline-sweep';
import { createRedis, duplicateRedis, RedisClient, redisProbe } from './queue/redis-connection';
import { SlotLocks } from './queue/slot-locks';
import { OpsRepository } from './repositories/ops.repository';

/**
 * After the grace has run out, how long a stop still waits for Postgres connections to be returned. A job left running
 * holds one until its statement ends; the process exit closes it instead, and Postgres rolls its transaction back.
 */
const POOL_DRAIN_MS = 5000;

export interface DaemonOptions extends Omit<AppOptions, 'prepare'> {
  /** `false` leaves the wall clock out (tests drive the slots themselves). */
  cron?: boolean;
  /** Overrides the config's `ops` section, e.g. port 0 in tests. */
  ops?: Partial<DubanConfig['ops']>;
  /** Overrides the config's `api` section, e.g. port 0 in tests, or `enabled: false`. */
  api?: Partial<DubanConfig['api']>;
  /** Run even as a role that could rewrite the ledger (`--allow-owner`): for a one-role development database. */
  allowOwner?: boolean;
}

/** With checkpoints configured, the daemon must be able to sign them, with the key whose public half the auditors hold. */
function checkSigningKey(app: AppContext): void {
  const configured = app.config.audit.checkpoints;
  if (!configured) return;
  const key = readSigningKey(app.env);
  if (!key) throw new Error('配置了台账检查点（audit.checkpoints），但没有签名私钥：请设置环境变量 DUBAN_CHECKPOINT_KEY_FILE（或 DUBAN_CHECKPOINT_KEY）');
  checkKeyPair(key, configured.publicKey);
}

/**
 * The long-running process: cron enqueues, the worker runs, Postgres remembers. Any number of daemons may share one
 * Postgres and Redis; job ids and the job_runs guard keep each slot to one run. Everything it runs is a step of
 * jobs/pipeline.ts: what the clock starts, what the sweep looks for and the order the work is done in come from there.
 */
export class Daemon {
  private constructor(
    readonly app: AppContext,
    private readonly redis: RedisClient[],
    readonly queue: JobQueue,
    private readonly worker: Worker,
    private readonly runner: JobRunner,
    private readonly scheduler: CronScheduler,
    private readonly opsServer: OpsServer,
    /** The port /healthz, /readyz and /metrics answer on: the configured one, or the one picked for port 0. */
    readonly opsPort: number,
    /** The HTTP API and its port, unless `api.enabled` is false. */
    private readonly api: { server: ApiServer; port: number } | undefined,
    /** How long a stop waits for the running job before handing it back. */
    readonly shutdownGraceMs: number,
    private readonly sweep: PipelineSweep,
    /** Told of a stop, so that a job waiting for others' work stops waiting. */
    private readonly order: PipelineOrder,
  ) {}

  static async start(opts: DaemonOptions = {}): Promise<Daemon> {
    const app = await AppContext.open({ ...opts, prepare: true, requireAppRole: !opts.allowOwner });
    try {
      checkSigningKey(app);
    } catch (err) {
      await app.close();
      throw err;
    }
    await app.adoptInitialRules();
    const unapplied = app.catalogueSync?.thresholdsUnapplied ?? [];
    if (unapplied.length > 0) {
      app.logger.warn({ indicators: unapplied.map((c) => c.code), detail: unappliedThresholdsWarning(unapplied) }, 'the indicators file changes thresholds that were not applied; days are judged with the versions in force');
    }
    const { config, pipeline, logger } = app;
    // The first start is go-live: what the backfill finds before it is recorded, not announced (src/domain/go-live.ts).
    const goLive = await app.services.goLive.recordStart();
    logger.info(
      { goLive: goLive.day, firstStart: goLive.at?.toISOString() },
      `go-live ${goLive.day}: same-day alerts for data days before ${addDays(goLive.day, -config.ingest.lagDays)} and letters due before go-live are held back (duban letters send --week W sends a week by hand)`,
    );
    const ops = { ...config.ops, ...opts.ops };
    const redis = createRedis(app.env);
    const queue = new JobQueue(redis, app.env.queuePrefix, config, pipeline);
    const metrics = new OpsMetrics({ repo: new OpsRepository(app.database.db), today: () => dayIn(config.timezone, app.now()), steps: Object.keys(pipeline.steps) });
    const opsServer = new OpsServer({ readiness: new ReadinessCheck({ db: app.database.db, redis: redisProbe(redis, queue.metaKey), smtp: app.mailTransport }), metrics, logger });
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
    let api: { server: ApiServer; port: number } | undefined;
    const apiConfig = { ...config.api, ...opts.api };
    if (apiConfig.enabled) {
      const server = await ApiServer.create({ services: app.services, config, logger, now: app.now, registry: metrics.registry });
      try {
        api = { server, port: await server.listen(apiConfig.host, apiConfig.port) };
      } catch (err) {
        await opsServer.close();
        await queue.close();
        redis.disconnect();
        await app.close();
        throw new Error(`API 无法在 ${apiConfig.host}:${apiConfig.port} 上监听：${(err as Error).message}。请在 duban.yaml 的 api.port 中换一个端口（或 api.enabled: false）`);
      }
    }
    const view = app.pipelineView();
    const sweep = new PipelineSweep({ pipeline, view, queue, logger });
    const slotLocks = new SlotLocks(app.database.pool);
    const order = new PipelineOrder({ pipeline, sweep, slotLocks, queue, logger });
    const runner = new JobRunner(
      { db: app.database.db, pipeline, context: app.stepContext({ sweep: () => sweep.run() }), view },
      { followUps: { mode: 'enqueue', enqueue: async (next) => void (await queue.enqueue(next.step, next.data)) }, observer: metrics, slotLocks, before: order.before },
    );
    order.useRunner((gap) => runner.run(gap.step, gap.data));
    const workerRedis = duplicateRedis(redis);
    const worker = createJobWorker(workerRedis, app.env.queuePrefix, runner, config.queue);
    worker.on('error', (err) => logger.error({ err }, 'worker error'));
    const daemon = new Daemon(app, [redis, workerRedis], queue, worker, runner, new CronScheduler(config.timezone), opsServer, opsPort, api, ops.shutdownGraceMs, sweep, order);
    if (opts.cron !== false) daemon.registerSchedules();
    await daemon.backfill();
    logger.info(
      {
        timezone: config.timezone,
        sources: config.sources.map((s) => s.name),
        ops: `http://${ops.host}:${opsPort}`,
        api: api ? `http://${apiConfig.host}:${api.port}/api/v1` : 'off',
        // Which Redis, not where: REDIS_URL may carry a password.
        redis: app.env.redisClusterNodes ? `cluster (${app.env.redisClusterNodes.length} seed nodes)` : 'single',
        queuePrefix: app.env.queuePrefix,
      },
      'duban started',
    );
    return daemon;
  }

  /**
   * Every step with a schedule, at each tick that has a slot due: a queued step is enqueued (one run among all
   * daemons); an each-daemon step (the sweep) is run here.
   */
  private registerSchedules(): void {
    const { config, pipeline } = this.app;
    for (const [step, spec] of Object.entries(pipeline.steps)) {
      if (!spec.schedule) continue;
      const schedule = spec.schedule;
      this.scheduler.add(step, schedule.cron(config), async (at) => {
        const data = schedule.dataAt(config, at);
        if (data === undefined) return;
        if (spec.runs === 'queue') await this.safely(() => this.queue.enqueue(step, data));
        else await this.safely(() => this.runner.run(step, data));
      });
    }
  }

  /** The port the API answers on; undefined when it is off. */
  get apiPort(): number | undefined {
    return this.api?.port;
  }

  /** Enqueues what the pipeline is missing (after downtime: the days, letters and messages not done). Returns the job ids. */
  async backfill(): Promise<string[]> {
    return this.sweep.run();
  }

  /** Enqueues a step's slot, as the clock or a follow-up would. */
  enqueue<K extends StepName>(step: K, data: StepData<K>, opts?: EnqueueOptions): Promise<string> {
    return this.queue.enqueue(step, data, opts);
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
    await this.api?.server.close();
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
      // Redis may be down at the cron minute; the next sweep enqueues what was missed.
      this.app.logger.error({ err }, 'scheduled step could not be started');
    }
  }
}
