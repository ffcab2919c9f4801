import { Command, Option } from 'commander';
import { STATE_LABELS, ProblemState } from '../domain/problem-state';
import { ProblemRepository } from '../repositories/problem.repository';
import { table } from './output';
import { withApp } from './with-app';

const STATES = Object.keys(STATE_LABELS) as ProblemState[];

export function problemsCommand(): Command {
  const cmd = new Command('problems').description('问题：由异常归并而来，交办、跟踪直至销号');

  cmd
    .command('list')
    .description('列出问题（最新的在前）')
    .addOption(new Option('--state <state>', `状态：${STATES.map((s) => `${s}=${STATE_LABELS[s]}`).join('，')}`).choices(STATES))
    .option('--unit <code>', '单位或责任单位代码')
    .option('--indicator <code>', '指标代码')
    .action(async (opts: { state?: ProblemState; unit?: string; indicator?: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const rows = await new ProblemRepository(app.database.db).list(opts);
        if (rows.length === 0) {
          console.log('没有符合条件的问题。');
          return;
        }
        console.log(
          table(
            ['编号', '状态', '级别', '单位', '指标', '类型', '责任单位', '首次发现', '最近发现', '异常次数', '最差值', '重开'],
            rows.map((r) => [
              r.id,
              STATE_LABELS[r.state],
              r.severity === 'major' ? '重大' : '一般',
              r.unit,
              r.indicator,
              r.kind,
              r.owner,
              r.first_seen,
              r.last_seen,
              r.anomaly_count,
              r.worst_value === null ? '' : `${r.worst_value}${r.indicator_unit}`,
              r.reopen_count,
            ]),
          ),
        );
      });
    });

  return cmd;
}
