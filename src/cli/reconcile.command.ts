import { Command } from 'commander';
import { parseDay } from '../domain/day';
import { runStep } from './run-step';
import { describeOutcome } from './step-report';
import { withApp } from './with-app';

export function reconcileCommand(): Command {
  return new Command('reconcile')
    .description('对账某一天：数据确认恢复或再次异常，逾期问题按工作日升级（提醒 → 督办 → 通报）（与守护进程的 reconcile 步骤相同的代码）')
    .requiredOption('--day <YYYY-MM-DD>', '对账哪一天', parseDay)
    .action(async (opts: { day: string }, cmd: Command) => {
      await withApp(cmd, { prepare: true }, async (app) => {
        const afterRun = await app.services.ingest.verdictRun(opts.day, app.config.ingest.lookbackDays);
        if (afterRun === undefined) throw new Error(`${opts.day} 还没有采集到数据，无可对账。先运行：duban ingest --day ${opts.day}`);
        console.log(describeOutcome(await runStep(app, 'reconcile', { day: opts.day, afterRun }, 'if-done')));
      });
    });
}
