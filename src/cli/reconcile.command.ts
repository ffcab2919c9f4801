import { Command } from 'commander';
import { parseDay } from '../domain/day';
import { ESCALATION_LABELS } from '../domain/problem-deadline';
import type { ReconcileSummary } from '../services/reconcile.service';
import { withApp } from './with-app';

export function reconcileCommand(): Command {
  return new Command('reconcile')
    .description('对账某一天：数据确认恢复或再次异常，逾期问题按工作日升级（提醒 → 督办 → 通报）（与守护进程相同的代码）')
    .requiredOption('--day <YYYY-MM-DD>', '对账哪一天', parseDay)
    .action(async (opts: { day: string }, cmd: Command) => {
      await withApp(cmd, { prepare: true }, async (app) => {
        console.log(describeReconcile(await app.services.reconcile.reconcileDay(opts.day)));
      });
    });
}

export function describeReconcile(s: ReconcileSummary): string {
  const steps = s.escalated.map((e) => `问题 ${e.problemId} ${ESCALATION_LABELS[e.level]}（逾期 ${e.overdue} 个工作日）`);
  return `对账 ${s.day}：数据确认恢复 ${s.confirmed}，再次异常 ${s.regressed}，升级 ${s.escalated.length}${steps.length ? `：${steps.join('；')}` : ''}`;
}
