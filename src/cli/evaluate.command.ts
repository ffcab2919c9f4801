import { Command } from 'commander';
import { parseDay } from '../domain/day';
import { table } from './output';
import { describeReconcile } from './reconcile.command';
import { withApp } from './with-app';

export function evaluateCommand(): Command {
  return new Command('evaluate')
    .description('按当天现行的规则版本评估某一天的数据，记录异常、归并为问题、对账，并打印摘要（与守护进程相同的代码）')
    .requiredOption('--day <YYYY-MM-DD>', '评估哪一天', parseDay)
    .action(async (opts: { day: string }, cmd: Command) => {
      await withApp(cmd, { prepare: true }, async (app) => {
        const summary = await app.services.evaluation.evaluateDay(opts.day, { trigger: 'cli' });
        if (summary.rules.length === 0) {
          console.log(`${opts.day} 没有现行规则。先运行：duban rules apply --reason "初始规则"`);
          return;
        }
        console.log(`评估日期 ${opts.day}（评估号 ${summary.evaluationId}）`);
        console.log(
          table(
            ['规则', '版本', '类型', '异常', '新增', '已失效', '说明'],
            summary.rules.map((r) => [r.ruleId, r.version, r.kind, r.found, r.new, r.superseded, r.insufficientHistory ? `${r.insufficientHistory} 个序列历史不足，未判断` : '']),
          ),
        );
        const problems = await app.services.problems.absorb(opts.day);
        console.log(`问题：新建 ${problems.opened}，重新打开 ${problems.reopened}，并入已有 ${problems.attached}（共 ${problems.anomalies} 条异常）`);
        console.log(describeReconcile(await app.services.reconcile.reconcileDay(opts.day)));
      });
    });
}
