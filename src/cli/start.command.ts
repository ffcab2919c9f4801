import { Command } from 'commander';
import { Daemon } from '../daemon';

export function startCommand(): Command {
  return new Command('start')
    .description('启动守护进程：按计划采集、回补缺失的日子；SIGTERM/SIGINT 时等当前任务完成后退出')
    .action(async (_opts: unknown, cmd: Command) => {
      const { config } = cmd.optsWithGlobals<{ config?: string }>();
      const daemon = await Daemon.start({ configPath: config });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        daemon.app.logger.info({ signal }, 'stopping');
        daemon.stop().then(
          () => process.exit(0),
          (err) => {
            daemon.app.logger.error({ err }, 'unclean stop');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
