import { Command } from 'commander';
import { parseDay } from '../domain/day';
import { runStep } from './run-step';
import { describeOutcome } from './step-report';
import { withApp } from './with-app';

export function evaluateCommand(): Command {
  return new Command('evaluate')
    .description('按当天现行的规则版本评估某一天的数据，记录异常、归并为问题，随即对账、发出预警（与守护进程的 evaluate 步骤相同的代码）')
    .requiredOption('--day <YYYY-MM-DD>', '评估哪一天', parseDay)
    .action(async (opts: { day: string }, cmd: Command) => {
      await withApp(cmd, { prepare: true }, async (app) => {
        const afterRun = await app.services.ingest.verdictRun(opts.day, app.config.ingest.lookbackDays);
        if (afterRun === undefined) throw new Error(`${opts.day} 还没有采集到数据，无可评估。先运行：duban ingest --day ${opts.day}`);
        console.log(describeOutcome(await runStep(app, 'evaluate', { day: opts.day, afterRun }, 'if-done')));
      });
    });
}
