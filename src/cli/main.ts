#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config-error';
import { auditCommand } from './audit.command';
import { dbCommand } from './db.command';
import { evaluateCommand } from './evaluate.command';
import { ingestCommand } from './ingest.command';
import { lettersCommand } from './letters.command';
import { inChinese } from './chinese-commander';
import { databaseHint } from './database-hint';
import { DEFAULT_DATABASE_URL } from '../config/env';
import { applyHeapPolicy } from '../heap-policy';
import { migrateCommand } from './migrate.command';
import { UsageError } from '../domain/names';
import { outboxCommand } from './outbox.command';
import { problemsCommand } from './problems.command';
import { reconcileCommand } from './reconcile.command';
import { rejectsCommand } from './rejects.command';
import { replayCommand } from './replay.command';
import { rulesCommand } from './rules.command';
import { serveCommand } from './serve.command';
import { startCommand } from './start.command';
import { tokensCommand } from './tokens.command';
import { thresholdsCommand } from './thresholds.command';

export function buildProgram(): Command {
  const program = new Command('duban')
    .description('督办：政务服务指标日监测、周交办、对账销号')
    .option('--config <path>', '主配置文件（默认 config/duban.yaml，或环境变量 DUBAN_CONFIG）')
    .addCommand(migrateCommand())
    .addCommand(dbCommand())
    .addCommand(ingestCommand())
    .addCommand(rejectsCommand())
    .addCommand(evaluateCommand())
    .addCommand(replayCommand())
    .addCommand(rulesCommand())
    .addCommand(thresholdsCommand())
    .addCommand(problemsCommand())
    .addCommand(reconcileCommand())
    .addCommand(lettersCommand())
    .addCommand(outboxCommand())
    .addCommand(auditCommand())
    .addCommand(tokensCommand())
    .addCommand(serveCommand())
    .addCommand(startCommand());
  // Help and commander's own errors in Chinese, on every command (added last, so that it reaches them all).
  return inChinese(program);
}

if (require.main === module) {
  applyHeapPolicy();
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      // commander has printed its own message (in Chinese): help asked for is a success, anything else a usage error.
      if (err instanceof CommanderError) {
        process.exitCode = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code) ? 0 : 2;
        return;
      }
      // Operators get the message, not a stack trace; LOG_LEVEL=debug shows the rest. A database that cannot be reached
      // or is not set up is said with what to do about it.
      const shown = databaseHint(err, process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL) ?? err;
      console.error(shown instanceof ConfigError || shown instanceof Error ? shown.message : String(shown));
      if (process.env.LOG_LEVEL === 'debug') console.error(err);
      // 2: the command line was wrong (an unknown name, a bad argument); 1: the command failed.
      process.exitCode = err instanceof UsageError ? err.exitCode : 1;
    });
}
