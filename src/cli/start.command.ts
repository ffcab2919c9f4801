import { Command } from 'commander';
import { Daemon } from '../daemon';

/** Beyond the grace for the running job, what closing the endpoints, Redis and Postgres may take before we exit anyway. */
const CLOSE_MARGIN_MS = 15_000;

export function startCommand(): Command {
  return new Command('start')
    .description('启动守护进程：按计划采集、回补缺失的日子，在 ops 端口提供 /healthz、/readyz、/metrics，在 api 端口提供 HTTP API（/api/v1）和网页控制台（api.enabled: false 可关闭）；SIGTERM/SIGINT 时等当前任务完成（最多 ops.shutdownGraceMs）后退出')
    .option('--allow-owner', '允许以超级用户或表所有者的数据库角色运行（只用于单一角色的开发数据库；生产环境应使用应用角色）')
    .action(async (_opts: unknown, cmd: Command) => {
      const { config, allowOwner } = cmd.optsWithGlobals<{ config?: string; allowOwner?: boolean }>();
      // One handler for the process's whole life, installed before anything starts: a signal while starting (migrations,
      // the first sweep) is kept and acted on once the daemon is up. Swapping handlers instead would lose a signal
      // that arrives in between (libuv drops a signal queued for a handle that was stopped), leaving a daemon that
      // never stops.
      let daemon: Daemon | undefined;
      let early: string | undefined;
      let stopping = false;
      const stop = (signal: string) => {
        if (!daemon) {
          early ??= signal;
          return;
        }
        const { logger } = daemon.app;
        if (stopping) {
          // A second Ctrl-C: the operator will not wait. The job's lock expires and another worker retries it.
          logger.warn({ signal }, 'second signal: exiting without waiting');
          process.exit(1);
        }
        stopping = true;
        logger.info({ signal, graceMs: daemon.shutdownGraceMs }, 'stopping');
        // A backstop in case closing itself hangs (e.g. Redis gone): a supervisor's stop must not wait forever.
        setTimeout(() => {
          logger.error('stop did not finish in time: exiting');
          process.exit(1);
        }, daemon.shutdownGraceMs + CLOSE_MARGIN_MS).unref();
        daemon.stop().then(
          () => process.exit(0),
          (err) => {
            logger.error({ err }, 'unclean stop');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      daemon = await Daemon.start({ configPath: config, allowOwner: allowOwner === true });
      if (early) stop(early);
    });
}
