import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { Logger } from 'pino';

export type { Logger };

/** The job a line is logged under, wherever in the code it is logged: services log with the app's logger too. */
const jobScope = new AsyncLocalStorage<{ job: string; slot: string }>();

/** Runs `fn` so that every line logged within it, by any logger made here, names the job and its slot. */
export function inJobScope<T>(job: string, slot: string, fn: () => Promise<T>): Promise<T> {
  return jobScope.run({ job, slot }, fn);
}

/** JSON lines for production; `LOG_PRETTY=1` for a person at a terminal. */
export function createLogger(name = 'duban', env: NodeJS.ProcessEnv = process.env, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level: env.LOG_LEVEL ?? 'info',
    mixin: () => jobScope.getStore() ?? {},
    // Connection strings and tokens are never logged; these keys are redacted wherever they appear.
    redact: { paths: ['databaseUrl', 'redisUrl', 'password', 'token', '*.password', '*.token', 'headers.authorization'], censor: '***' },
    ...(env.LOG_PRETTY === '1' ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
