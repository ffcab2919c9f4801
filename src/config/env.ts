/** Connection strings and secrets come only from the environment, never from config files or logs. */
export interface DubanEnv {
  databaseUrl: string;
  redisUrl: string;
  /** Prefix of every BullMQ key, so several deployments (or test runs) can share one Redis. */
  queuePrefix: string;
}

export function loadEnv(env: NodeJS.ProcessEnv = process.env): DubanEnv {
  return {
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/duban',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: env.DUBAN_QUEUE_PREFIX ?? 'duban',
  };
}

/** For log lines and messages: the URL with any password replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
