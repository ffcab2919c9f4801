import { PIPELINE, Pipeline } from '../jobs/handlers';
import type { StepContext } from '../jobs/step-handler';
import { DubanConfig, loadConfig } from './config/load-config';
import { DubanEnv, loadEnv } from './config/env';
import { readSigningKey } from './config/signing-key';
import { createDatabase, DatabaseHandle } from './db/database';
import { ensureDatabase } from './db/ensure-database';
import { databasePowers, forgingPowers, prepareSchema } from './db/roles';
import { createMailTransport, MailTransport } from './delivery/mail-transport';
import { WorkingCalendar } from './domain/working-calendar';
import { createLogger, Logger } from './logger';
import { FollowUps, JobRunner } from './queue/job-runner';
import { PipelineState } from './queue/pipeline-view';
import { SlotLocks } from './queue/slot-locks';
import type { AppServices } from './services';
import { AccessService } from './services/access.service';
import { AlertService } from './services/alert.service';
import { AuditService } from './services/audit.service';
import { BacktestService } from './services/backtest.service';
import { CatalogueService, CatalogueSyncResult } from './services/catalogue-sync.service';
import { CheckpointService } from './services/checkpoint.service';
import { EvaluationService } from './services/evaluation.service';
import { GoLiveService } from './services/go-live.service';
import { IngestService } from './services/ingest.service';
import { LetterService } from './services/letter.service';
import { OutboxRelay } from './services/outbox-relay.service';
import { OutboxService } from './services/outbox.service';
import { ProblemActionService } from './services/problem-action.service';
import { ProblemService } from './services/problem.service';
import { ReconcileService } from './services/reconcile.service';
import { ReplayService } from './services/replay.service';
import { RulesService } from './services/rules.service';
import { SummaryService } from './services/summary.service';
import { ThresholdsService } from './services/thresholds.service';

export interface AppOptions {
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** The time the app acts at; default DUBAN_NOW, else the wall clock. */
  now?: () => Date;
  /** Create and migrate the database and sync the catalogue from config before use (the daemon and the commands that write do). */
  prepare?: boolean;
  /**
   * Refuse a database role that could rewrite the ledger (a superuser, the tables' owner, or one granted too much),
   * before anything is written: the daemon runs as the app role.
   */
  requireAppRole?: boolean;
  /** Parts to use instead of the ones built here (tests). */
  overrides?: Partial<AppServices>;
  /** The steps and their handlers; default duban's own (tests may add one). */
  pipeline?: Pipeline;
}

/**
 * The composition root, in the manner of Ozone's `DaemonContext.fromConfig`: configuration read once, one database
 * pool, every service built on them in one place, and the pipeline's runner. The daemon, every CLI command, the demo
 * and the tests start here, so a command that runs a step runs exactly the daemon's code for it.
 */
export class AppContext {
  private constructor(
    readonly config: DubanConfig,
    readonly env: DubanEnv,
    readonly logger: Logger,
    readonly database: DatabaseHandle,
    readonly services: AppServices,
    readonly pipeline: Pipeline,
    /** The time the app acts at: the wall clock, or DUBAN_NOW / the caller's clock. */
    readonly now: () => Date,
    /** The relay's SMTP transport; absent without SMTP_URL. */
    readonly mailTransport: MailTransport | undefined,
  ) {}

  /** Reads configuration and environment, opens (and with `prepare`, readies) the database, and builds the rest. */
  static async open(opts: AppOptions = {}): Promise<AppContext> {
    const config = loadConfig(opts.configPath);
    const env = loadEnv(opts.env);
    const logger = opts.logger ?? createLogger();
    if (opts.prepare && (await ensureDatabase(env.migrationDatabaseUrl ?? env.databaseUrl))) logger.info('database created');
    const database = createDatabase(env.databaseUrl);
    try {
      if (opts.prepare) await prepareSchema(database.db, env.migrationDatabaseUrl);
      if (opts.requireAppRole) {
        const why = forgingPowers(await databasePowers(database.db));
        if (why) throw new Error(`拒绝启动：${why}。守护进程须以只有应用权限的数据库角色运行（见 docs/operations.md#database-roles：duban db setup-roles，迁移用 MIGRATION_DATABASE_URL）；演示或测试确需如此时可加 --allow-owner`);
      }
      const app = AppContext.fromConfig(config, env, database, { ...opts, logger });
      if (opts.prepare) {
        app.catalogueSync = await app.services.catalogue.sync();
        const { thresholdsUnapplied, ...synced } = app.catalogueSync;
        logger.info({ ...synced, thresholdsUnapplied: thresholdsUnapplied.map((c) => c.code) }, 'catalogue synced from config');
      }
      return app;
    } catch (err) {
      await database.close();
      throw err;
    }
  }

  /** Builds every part on a configuration and an open database. */
  static fromConfig(config: DubanConfig, env: DubanEnv, database: DatabaseHandle, opts: Omit<AppOptions, 'configPath' | 'env' | 'prepare'> = {}): AppContext {
    const logger = opts.logger ?? createLogger();
    const now = opts.now ?? (env.now ? () => env.now! : () => new Date());
    const { db, pool } = database;
    const transport = env.smtpUrl ? createMailTransport(env.smtpUrl, config.delivery) : undefined;
    const evaluation = opts.overrides?.evaluation ?? new EvaluationService({ db, config, logger });
    const access = opts.overrides?.access ?? new AccessService({ db, config, now, ...(env.linkSecret ? { linkSecret: env.linkSecret } : {}) });
    const services: AppServices = {
      catalogue: new CatalogueService({ db, config }),
      ingest: new IngestService({ db, pool, config, logger, now }),
      rules: new RulesService(db),
      thresholds: new ThresholdsService(db),
      evaluation,
      backtest: new BacktestService({ db, evaluation }),
      replay: new ReplayService({ db, evaluation }),
      problems: new ProblemService({ db, config, logger }),
      problemActions: new ProblemActionService({ db, config, now }),
      reconcile: new ReconcileService({ db, config, logger }),
      alerts: new AlertService({ db, config, logger, now, replyLink: access.replyLink }),
      letters: new LetterService({ db, config, logger, now, replyLink: access.replyLink }),
      summary: new SummaryService({ db, config, logger, now }),
      outbox: new OutboxService({ db }),
      // Without SMTP_URL messages wait in the outbox until a relay with a transport runs.
      ...(transport ? { relay: new OutboxRelay({ db, transport, config, logger }) } : {}),
      audit: new AuditService({ db, pool, timezone: config.timezone }),
      // The key is read when a checkpoint is signed: a CLI user who may not read the daemon's key file can still work.
      checkpoints: new CheckpointService({ db, config, logger, now, signingKey: () => readSigningKey(env) }),
      goLive: new GoLiveService({ db, config, now }),
      access,
      ...opts.overrides,
    };
    return new AppContext(config, env, logger, database, services, opts.pipeline ?? PIPELINE, now, transport);
  }

  /** What `prepare` found syncing the catalogue (thresholds the file changes and nobody applied, among others). */
  catalogueSync: CatalogueSyncResult | undefined;

  /** What the steps' declarations ask about the pipeline, answered from Postgres. */
  pipelineView(): PipelineState {
    return new PipelineState({
      db: this.database.db,
      config: this.config,
      pipeline: this.pipeline,
      now: this.now,
      relay: this.services.relay !== undefined,
      goLive: this.services.goLive,
    });
  }

  /** What a step's handler is given. */
  stepContext(extra: Partial<StepContext> = {}): StepContext {
    return { config: this.config, logger: this.logger, services: this.services, ...extra };
  }

  /**
   * A runner that runs a step and then, in turn, what it sets off, here and now (the CLI, tests): the same handlers,
   * job_runs and slot locks as a daemon's, so it works beside running daemons without doubling anything.
   */
  inlineRunner(): JobRunner {
    return this.runner({ mode: 'inline' });
  }

  /** A runner whose follow-ups go where the caller says (a daemon's queue; a test's list). */
  runner(followUps: FollowUps): JobRunner {
    return new JobRunner(
      { db: this.database.db, pipeline: this.pipeline, context: this.stepContext(), view: this.pipelineView() },
      { followUps, slotLocks: new SlotLocks(this.database.pool) },
    );
  }

  /** On a fresh database the rules file becomes version 1, judging all history the calendar covers. */
  async adoptInitialRules(): Promise<void> {
    const { rules } = this.services;
    if ((await rules.latest()).length > 0) return;
    const effectiveFrom = new WorkingCalendar(this.config.calendar).firstDay();
    const { stored } = await rules.apply(this.config.rules, { by: 'duban', reason: '首次启动：按规则文件建立初始规则', effectiveFrom });
    if (stored.length > 0) this.logger.info({ rules: stored.map((r) => r.rule_id) }, 'initial rules stored');
  }

  async close(): Promise<void> {
    this.mailTransport?.close();
    await this.database.close();
  }
}
