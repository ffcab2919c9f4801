import pino, { Logger } from 'pino';

export type { Logger };

/** JSON lines for production; `LOG_PRETTY=1` for a person at a terminal. */
export function createLogger(name = 'duban', env: NodeJS.ProcessEnv = process.env): Logger {
  return pino({
    name,
    level: env.LOG_LEVEL ?? 'info',
    // Connection strings and tokens are never logged; these keys are redacted wherever they appear.
    redact: { paths: ['databaseUrl', 'redisUrl', 'password', 'token', '*.password', '*.token', 'headers.authorization'], censor: '***' },
    ...(env.LOG_PRETTY === '1' ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } } : {}),
  });
}
