import type { JobContext } from '../jobs';
import { DubanConfig, loadConfig } from './config/load-config';
import { DubanEnv, loadEnv } from './config/env';
import { createDatabase, DatabaseHandle } from './db/database';
import { ensureDatabase } from './db/ensure-database';
import { migrateToLatest } from './db/migrator';
import { createLogger, Logger } from './logger';
import { syncCatalogue } from './services/catalogue-sync.service';
import { EvaluationService } from './services/evaluation.service';
import { createMailTransport, MailTransport } from './delivery/mail-transport';
import { OutboxRelay } from './delivery/outbox-relay';
import { AlertService } from './services/alert.service';
import { DigestService } from './services/digest.service';
import { IngestService } from './services/ingest.service';
import { ProblemService } from './services/problem.service';
import { ReconcileService } from './services/reconcile.service';

/** The composition root: configuration read once, one database pool, the services built on them. */
export interface App {
  config: DubanConfig;
  env: DubanEnv;
  logger: Logger;
  database: DatabaseHandle;
  services: JobContext['services'];
  jobContext: JobContext;
  /** The relay's SMTP transport; absent without SMTP_URL. */
  mailTransport?: MailTransport;
  /** The time the app acts at: the wall clock, or DUBAN_NOW / the caller's clock. */
  now(): Date;
  close(): Promise<void>;
}

export interface OpenAppOptions {
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Migrate and sync the catalogue from config before use (the daemon and the ingest command do). */
  prepare?: boolean;
  now?: () => Date;
}

export async function openApp(opts: OpenAppOptions = {}): Promise<App> {
  const config = loadConfig(opts.configPath);
  const env = loadEnv(opts.env);
  const now = opts.now ?? (env.now ? () => env.now! : undefined);
  const logger = opts.logger ?? createLogger();
  if (opts.prepare && (await ensureDatabase(env.databaseUrl))) logger.info('database created');
  const database = createDatabase(env.databaseUrl);
  try {
    if (opts.prepare) {
      await migrateToLatest(database.db);
      const sync = await syncCatalogue(database.db, config);
      logger.info(sync, 'catalogue synced from config');
    }
  } catch (err) {
    await database.close();
    throw err;
  }
  const transport = env.smtpUrl ? createMailTransport(env.smtpUrl) : undefined;
  const services = {
    ingest: new IngestService({ db: database.db, pool: database.pool, config, logger, now }),
    evaluation: new EvaluationService({ db: database.db, config, logger }),
    problems: new ProblemService({ db: database.db, config, logger }),
    reconcile: new ReconcileService({ db: database.db, config, logger }),
    alerts: new AlertService({ db: database.db, config, logger }),
    digest: new DigestService({ db: database.db, config, logger, now }),
    // Without SMTP_URL messages wait in the outbox until a relay with a transport runs.
    relay: transport ? new OutboxRelay({ db: database.db, transport, config, logger }) : undefined,
  };
  return {
    config,
    env,
    logger,
    database,
    services,
    jobContext: { config, db: database.db, logger, services },
    ...(transport ? { mailTransport: transport } : {}),
    now: now ?? (() => new Date()),
    close: async () => {
      transport?.close();
      await database.close();
    },
  };
}
