/** Connection strings and secrets come only from the environment, never from config files or logs. */
export interface DubanEnv {
  databaseUrl: string;
  redisUrl: string;
  /** e.g. smtp://user:pass@mail.example.gov.cn:587; absent, messages wait in the outbox. Never logged. */
  smtpUrl?: string;
  /** Prefix of every BullMQ key, so several deployments (or test runs) can share one Redis. */
  queuePrefix: string;
}

export function loadEnv(env: NodeJS.ProcessEnv = process.env): DubanEnv {
  return {
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/duban',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: env.DUBAN_QUEUE_PREFIX ?? 'duban',
    ...(env.SMTP_URL ? { smtpUrl: env.SMTP_URL } : {}),
  };
}

