import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import type { App } from '../app';
import { dayIn } from '../domain/day';
import { isoWeekOf, parseIsoWeek } from '../domain/iso-week';
import { JobRunner } from '../queue/job-runner';
import { LetterRepository } from '../repositories/letter.repository';
import type { WeekReport } from '../services/digest.service';
import { table } from './output';
import { withApp } from './with-app';

const STATUS_LABELS = { pending: '待发送', delivered: '已送达', failed: '发送失败' } as const;

export function lettersCommand(): Command {
  const cmd = new Command('letters').description('周交办：每周给有问题的单位发交办函，并给局领导发调度会材料');

  cmd
    .command('preview')
    .description('预览某单位某周的交办函（不发送，不改变任何状态）')
    .requiredOption('--unit <code>', '单位代码')
    .option('--week <YYYY-Www>', 'ISO 周，如 2026-W48（默认本周）', parseIsoWeek)
    .option('--html <file>', '把 HTML 正文写入文件，可用浏览器打开')
    .option('--text', '打印纯文本正文')
    .action(async (opts: { unit: string; week?: string; html?: string; text?: boolean }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const week = opts.week ?? currentWeek(app);
        const p = await app.services.digest.preview(week, opts.unit);
        console.log(`函号：${p.letterNo}${p.issued ? '（已发出，以下为发件箱中的原文）' : '（预览，发送时按当时顺序编号）'}`);
        if (!p.issued && !p.due) console.log('该单位本周没有在办问题，按配置不发交办函。');
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
    .description('立即运行每周交办（与守护进程的 digest 任务相同；每单位每周只发一封），并投递发件箱')
    .option('--week <YYYY-Www>', 'ISO 周（默认本周）', parseIsoWeek)
    .action(async (opts: { week?: string }, sub: Command) => {
      await withApp(sub, { prepare: true }, async (app) => {
        const week = opts.week ?? currentWeek(app);
        const outcome = await new JobRunner(app.jobContext).run('digest', { week });
        if (outcome.status === 'skipped') console.log(`${week} 的每周交办已运行过，不再重复发函。`);
        else console.log(describeWeek(outcome.result as WeekReport));
        if (app.services.relay) {
          const sent = await app.services.relay.processAll();
          console.log(`投递：送达 ${sent.delivered}，稍后重试 ${sent.retried}，失败 ${sent.failed}`);
        } else {
          console.log('未设置 SMTP_URL：邮件留在发件箱中，由设置了 SMTP_URL 的守护进程发送。');
        }
      });
    });

  cmd
    .command('list')
    .description('列出某周发出的交办函及其投递状态')
    .option('--week <YYYY-Www>', 'ISO 周（默认本周）', parseIsoWeek)
    .option('--unit <code>', '只看某单位')
    .action(async (opts: { week?: string; unit?: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const week = opts.week ?? currentWeek(app);
        const rows = await new LetterRepository(app.database.db).list(week, opts.unit);
        if (rows.length === 0) {
          console.log(`${week} 没有交办函。`);
          return;
        }
        console.log(
          table(
            ['函号', '单位', '日期', '列出问题', '新交办', '投递', '送达时间', '邮件编号'],
            rows.map((l) => [l.letter_no, l.unit_name, l.letter_day, l.problem_count, l.assigned_count, STATUS_LABELS[l.status], l.delivered_at?.toISOString() ?? null, l.outbox_id]),
          ),
        );
      });
    });

  return cmd;
}

function currentWeek(app: App): string {
  return isoWeekOf(dayIn(app.config.timezone, app.now()));
}

export function describeWeek(r: WeekReport): string {
  const summary = { written: '调度会材料已写入发件箱', exists: '调度会材料此前已写入', 'no recipients': '未配置调度会材料收件人' }[r.summary];
  const missing = r.unaddressed.length > 0 ? `；无收件地址未发：${r.unaddressed.join('、')}` : '';
  return `${r.week}（发函日 ${r.letterDay}）：新写交办函 ${r.letters} 封，交办问题 ${r.assigned} 项；${summary}${missing}`;
}
