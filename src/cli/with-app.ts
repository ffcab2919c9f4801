import type { Command } from 'commander';
import { AppContext, AppOptions } from '../app-context';
import { createLogger } from '../logger';

/** Opens the composition root with the global --config, runs the command, and always closes the pool. */
export async function withApp(cmd: Command, opts: Pick<AppOptions, 'prepare'>, fn: (app: AppContext) => Promise<void>): Promise<void> {
  const globals = cmd.optsWithGlobals<{ config?: string }>();
  // Commands print their own results; the log carries only warnings unless asked for more.
  const logger = createLogger('duban', { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const app = await AppContext.open({ ...opts, configPath: globals.config, logger });
  try {
    await fn(app);
  } finally {
    await app.close();
  }
}
