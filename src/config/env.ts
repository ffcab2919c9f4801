/** Connection strings and secrets come only from the environment, never from config files or logs. */
export interface DubanEnv {
  /** The app role's connection: it owns nothing and may only what src/db/grants.ts grants. */
  databaseUrl: string;
  /**
   * MIGRATION_DATABASE_URL, the owner role's connection: migrations run through it and grant the app role its
   * privileges. Unset, the app's own connection migrates if it may (one role for everything: development, the demo).
   */
  migrationDatabaseUrl?: string;
  redisUrl: string;
  /** e.g. smtp://user:pass@mail.example.gov.cn:587; absent, messages wait in the outbox. Never logged. */
  smtpUrl?: string;
  /** Prefix of every BullMQ key, so several deployments (or test runs) can share one Redis. */
  queuePrefix: string;
  /**
   * DUBAN_NOW, an instant such as 2026-11-23T08:30:00+08:00: the commands act as if it were then (rehearsing next
   * Monday's letters, tests, the demo). Unset, the wall clock.
   */
  now?: Date;
  /** DUBAN_CHECKPOINT_KEY: the checkpoint signing key itself (PEM). Never logged. */
  checkpointKey?: string;
  /** DUBAN_CHECKPOINT_KEY_FILE: a file holding it. */
  checkpointKeyFile?: string;
  /** DUBAN_LINK_SECRET: signs letters' reply links (at least 32 characters). Unset, letters carry no link. Never logged. */
  linkSecret?: string;
}

export function loadEnv(env: NodeJS.ProcessEnv = process.env): DubanEnv {
  return {
    databaseUrl: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: env.DUBAN_QUEUE_PREFIX ?? 'duban',
    ...(env.MIGRATION_DATABASE_URL ? { migrationDatabaseUrl: env.MIGRATION_DATABASE_URL } : {}),
    ...(env.SMTP_URL ? { smtpUrl: env.SMTP_URL } : {}),
    ...(env.DUBAN_CHECKPOINT_KEY ? { checkpointKey: env.DUBAN_CHECKPOINT_KEY } : {}),
    ...(env.DUBAN_CHECKPOINT_KEY_FILE ? { checkpointKeyFile: env.DUBAN_CHECKPOINT_KEY_FILE } : {}),
    ...(env.DUBAN_NOW ? { now: parseInstant(env.DUBAN_NOW) } : {}),
    ...(env.DUBAN_LINK_SECRET ? { linkSecret: linkSecret(env.DUBAN_LINK_SECRET) } : {}),
  };
}

function linkSecret(text: string): string {
  if (text.length < 32) throw new Error('DUBAN_LINK_SECRET 太短：至少 32 个字符（例如 openssl rand -base64 48 的输出）');
  return text;
}

function parseInstant(text: string): Date {
  const at = new Date(text);
  if (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(text)) throw new Error(`DUBAN_NOW 不是有效的时刻（例如 2026-11-23T08:30:00+08:00）：${text}`);
  return at;
}

/** Where duban looks for its database when DATABASE_URL is not set. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/duban';
