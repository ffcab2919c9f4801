import { Command } from 'commander';
import { parseDay } from '../domain/day';
import { formatInstant } from './output';
import { withApp } from './with-app';

export function replayCommand(): Command {
  return new Command('replay')
    .description('重放某天最近一次评估：用当时的规则版本和当时的数据（撤销之后的修订）重新评估，显示与记录的差异；不写入任何数据')
    .requiredOption('--day <YYYY-MM-DD>', '重放哪一天', parseDay)
    .action(async (opts: { day: string }, cmd: Command) => {
      await withApp(cmd, {}, async (app) => {
        const report = await app.services.replay.replay(opts.day);
        console.log(`重放 ${opts.day} 的评估 #${report.evaluationId}（${formatInstant(report.evaluatedAt, app.config.timezone)}）：记录 ${report.recorded.length} 条异常，重放 ${report.replayed.length} 条`);
        if (report.differences.length === 0) {
          console.log('与记录完全一致。');
          return;
        }
        for (const d of report.differences) {
          console.log(`${d.key}\n  记录：${d.recorded?.explanation ?? '（无）'}\n  重放：${d.replayed?.explanation ?? '（无）'}`);
        }
        process.exitCode = 2;
      });
    });
}
