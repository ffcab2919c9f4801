import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { rerunTag } from '../../jobs/pipeline';
import type { AppContext } from '../app-context';
import { dayIn } from '../domain/day';
import { isoWeekOf, parseIsoWeek } from '../domain/iso-week';
import { formatInstant, table } from './output';
import { runStep } from './run-step';
import { describeOutcome } from './step-report';
import { unitCode } from '../domain/names';
import { withApp } from './with-app';

const STATUS_LABELS = { pending: '待发送', delivered: '已送达', failed: '发送失败' } as const;

export function lettersCommand(): Command {
  const cmd = new Command('letters').description('周交办：每周给有问题的单位发交办函，并给局领导发调度会材料');

  cmd
    .command('preview')
    .description('预览某单位某周的交办函（不发送，不改变任何状态）')
    .requiredOption('--unit <name>', '单位（名称、代码或别名）')
    .option('--week <YYYY-Www>', 'ISO 周，如 2026-W48（默认本周）', parseIsoWeek)
    .option('--html <file>', '把 HTML 正文写入文件，可用浏览器打开')
    .option('--text', '打印纯文本正文')
    .action(async (opts: { unit: string; week?: string; html?: string; text?: boolean }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const week = opts.week ?? currentWeek(app);
        const p = await app.services.letters.preview(week, unitCode(app.config, opts.unit));
        console.log(`函号：${p.letterNo}${p.issued ? '（已发出，以下为发件箱中的原文）' : '（预览，发送时按当时顺序编号）'}`);
        if (!p.issued && !p.writtenTo) console.log('本局和市本级不发交办函（letters.unitKinds、bureau.unit），其问题列入调度会材料；以下仅为预览。');
        else if (!p.issued && !p.due) console.log('该单位本周没有在办问题，按配置不发交办函。');
        console.log(`收件人：${p.to.join('、') || '（无地址）'}`);
        console.log(`主题：${p.message.subject}`);
        if (p.assignments.length > 0) {
          console.log(`发送后交办 ${p.assignments.length} 项问题：${p.assignments.map((a) => `问题 ${a.problemId} 限 ${a.deadline} 前整改`).join('；')}`);
        }
        if (opts.html) {
          writeFileSync(opts.html, p.message.html);
          console.log(`HTML 正文已写入 ${opts.html}`);
        }
        if (opts.text || !opts.html) console.log(`\n${p.message.text}`);
      });
    });

  cmd
    .command('send')
    .description('立即运行每周交办（与守护进程的 letters 步骤相同的代码；每单位每周只发一封），随后写调度会材料并投递发件箱')
    .option('--week <YYYY-Www>', 'ISO 周（默认本周）', parseIsoWeek)
    .action(async (opts: { week?: string }, sub: Command) => {
      await withApp(sub, { prepare: true }, async (app) => {
        const week = opts.week ?? currentWeek(app);
        const outcome = await runStep(app, 'letters', { week }, 'never');
        if (outcome.status === 'done') {
          console.log(describeOutcome(outcome));
          return;
        }
        console.log(`${week} 的每周交办已运行过，不再重复发函。`);
        // Still sends what waits, as the command says it does.
        console.log(describeOutcome(await runStep(app, 'deliver', { reason: `cli-${rerunTag(new Date())}` }, 'never')));
      });
    });

  cmd
    .command('list')
    .description('列出某周发出的交办函及其投递状态')
    .option('--week <YYYY-Www>', 'ISO 周（默认本周）', parseIsoWeek)
    .option('--unit <name>', '只看某单位（名称、代码或别名）')
    .action(async (opts: { week?: string; unit?: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const week = opts.week ?? currentWeek(app);
        const rows = await app.services.letters.list(week, opts.unit === undefined ? undefined : unitCode(app.config, opts.unit));
        if (rows.length === 0) {
          console.log(`${week} 没有交办函。`);
          return;
        }
        console.log(
          table(
            ['函号', '单位', '日期', '列出问题', '新交办', '投递', '送达时间', '邮件编号'],
            rows.map((l) => [l.letter_no, l.unit_name, l.letter_day, l.problem_count, l.assigned_count, STATUS_LABELS[l.status], l.delivered_at ? formatInstant(l.delivered_at, app.config.timezone) : null, l.outbox_id]),
          ),
        );
      });
    });

  return cmd;
}

function currentWeek(app: AppContext): string {
  return isoWeekOf(dayIn(app.config.timezone, app.now()));
}
