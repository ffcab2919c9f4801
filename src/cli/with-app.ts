import type { Command } from 'commander';
import { AppContext, AppOptions } from '../app-context';
import { unappliedThresholdsWarning } from '../domain/indicator-thresholds';
import { createLogger } from '../logger';

/**
 * Opens the composition root with the global --config, runs the command, and always closes the pool. A command that
 * prepares the database says when indicators.yaml changes thresholds nobody applied (except `thresholds apply`, which
 * is about to show that very difference).
 */
export async function withApp(
  cmd: Command,
  opts: Pick<AppOptions, 'prepare'> & { warnUnappliedThresholds?: boolean },
  fn: (app: AppContext) => Promise<void>,
): Promise<void> {
  const globals = cmd.optsWithGlobals<{ config?: string }>();
  // Commands print their own results; the log carries only warnings unless asked for more.
  const logger = createLogger('duban', { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const app = await AppContext.open({ ...opts, configPath: globals.config, logger });
  const unapplied = app.catalogueSync?.thresholdsUnapplied ?? [];
  if (unapplied.length > 0 && opts.warnUnappliedThresholds !== false) console.error(unappliedThresholdsWarning(unapplied));
  try {
    await fn(app);
  } finally {
    await app.close();
  }
}
