import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { ESCALATION_LABELS } from '../domain/problem-deadline';
import { PROBLEM_STATES, ProblemState, STATE_LABELS } from '../domain/problem-state';
import { describeMove, ManualAction } from '../services/problem-action.service';
import { table } from './output';
import { indicatorCode, problemState, unitCode } from '../domain/names';
import { parseId } from './parse-id';
import { withApp } from './with-app';

const KIND_LABELS = { value: '指标异常', missing: '数据未报送' } as const;

export function problemsCommand(): Command {
  const cmd = new Command('problems').description('问题：由异常归并而来，交办、跟踪直至销号');

  cmd
    .command('list')
    .description('列出问题（最新的在前）')
    .addOption(new Option('--state <state>', `状态（名称或代码）：${PROBLEM_STATES.map((s) => `${STATE_LABELS[s]}=${s}`).join('，')}`).argParser(problemState))
    .option('--unit <name>', '单位或责任单位（名称、代码或别名）')
    .option('--indicator <name>', '指标（名称或代码）')
    .action(async (opts: { state?: ProblemState; unit?: string; indicator?: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const rows = await app.services.problemActions.list({
          ...opts,
          unit: opts.unit === undefined ? undefined : unitCode(app.config, opts.unit),
          indicator: opts.indicator === undefined ? undefined : indicatorCode(app.config, opts.indicator),
        });
        if (rows.length === 0) {
          console.log('没有符合条件的问题。');
          return;
        }
        console.log(
          table(
            ['编号', '状态', '级别', '单位', '指标', '类型', '规则', '责任单位', '首次发现', '最近发现', '异常次数', '最差值', '重开'],
            rows.map((r) => [
              r.id,
              STATE_LABELS[r.state],
              r.severity === 'major' ? '重大' : '一般',
              r.unit,
              r.indicator,
              KIND_LABELS[r.kind],
              r.rules.join(','),
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

  cmd
    .command('show')
    .description('一个问题的现状：状态、期限、升级、核验；完整经过见 duban audit problem')
    .argument('<id>', '问题编号', parseId)
    .action(async (id: number, _opts: unknown, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const p = await app.services.problemActions.show(id);
        if (!p) throw new Error(`没有编号为 ${id} 的问题`);
        const lines: Array<[string, string | number | null]> = [
          ['状态', STATE_LABELS[p.state]],
          ['级别', p.severity === 'major' ? '重大' : '一般'],
          ['单位', p.unit],
          ['指标', p.indicator],
          ['类型', KIND_LABELS[p.kind]],
          ['规则', p.rules.join('、')],
          ['类别', p.category],
          ['责任单位', p.owner],
          ['发现', `${p.first_seen} 至 ${p.last_seen}，异常 ${p.anomaly_count} 次，最差 ${p.worst_value === null ? '—' : `${p.worst_value}${p.indicator_unit}`}`],
          ['交办', p.assigned_on ? `${p.assigned_on}，期限 ${p.deadline}` : '未交办'],
          ['升级', p.escalation === 'none' ? '无' : ESCALATION_LABELS[p.escalation]],
          ['数据确认', p.data_confirmed ? '已确认恢复' : '未确认'],
          ['核验人', p.signed_off_by ?? '—'],
          ['销号日期', p.closed_on ?? '—'],
          ['重新打开', p.reopen_count],
        ];
        console.log(`问题 ${id}`);
        console.log(table(['项目', '内容'], lines));
      });
    });

  const act = (name: string, description: string, configure: (c: Command) => Command, actionOf: (opts: Record<string, unknown>) => ManualAction) =>
    cmd.addCommand(
      configure(
        new Command(name)
          .description(description)
          .argument('<id>', '问题编号', parseId)
          .option('--by <name>', '操作人（默认：当前系统用户）', userInfo().username)
          .option('--note <text>', '备注'),
      ).action(async (id: number, opts: Record<string, unknown>, sub: Command) => {
        await withApp(sub, {}, async (app) => {
          const note = opts.note ? { note: opts.note as string } : {};
          const { from, problem } = await app.services.problemActions.act(id, { ...actionOf(opts), ...note } as ManualAction, { actor: opts.by as string });
          console.log(describeMove(id, from, problem.state) + (name === 'assign' ? `，整改期限 ${problem.deadline}` : ''));
        });
      }),
    );

  act('assign', '交办：通知已送达责任单位，开始计算整改期限（工作日）', (c) => c, () => ({ type: 'assign' }));
  act(
    'respond',
    '登记责任单位反馈的整改措施（转为待核验）',
    (c) => c.requiredOption('--measures <text>', '整改措施').option('--evidence <path-or-url...>', '佐证材料（可多个）'),
    (o) => ({ type: 'respond', measures: o.measures as string, ...(o.evidence ? { evidence: o.evidence as string[] } : {}) }),
  );
  act('verify', '核验人签字确认整改到位', (c) => c, (o) => ({ type: 'verify', by: o.by as string }));
  act('send-back', '核验人退回整改（须说明原因）：回到整改中，整改期限照旧', (c) => c.requiredOption('--reason <text>', '原因'), (o) => ({ type: 'send_back', reason: o.reason as string }));
  act('close', '销号（默认须数据确认恢复且有核验人签字）', (c) => c, () => ({ type: 'close' }));
  act('dismiss', '撤销问题（须说明原因）', (c) => c.requiredOption('--reason <text>', '原因'), (o) => ({ type: 'dismiss', reason: o.reason as string }));
  act('reopen', '重新打开已销号或已撤销的问题（须说明原因）', (c) => c.requiredOption('--reason <text>', '原因'), (o) => ({ type: 'reopen', reason: o.reason as string }));

  return cmd;
}
