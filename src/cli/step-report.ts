import path from 'node:path';
import type { ResultOf } from '../../jobs/handlers';
import { jobId, STEPS, StepName } from '../../jobs/pipeline';
import { ESCALATION_LABELS } from '../domain/problem-deadline';
import type { JobOutcome } from '../queue/job-runner';
import type { SourceRunResult } from '../services/ingest.service';
import type { ReconcileSummary } from '../services/reconcile.service';
import type { WeekReport } from '../services/letter.service';
import { RULE_KIND_LABELS } from './rule-text';
import { table } from './output';

const SOURCE_STATUS: Record<SourceRunResult['status'], string> = { succeeded: '成功', failed: '失败' };

type IngestReport = Pick<SourceRunResult, 'source' | 'runId' | 'accepted' | 'revised' | 'unchanged' | 'rejected'> & Partial<SourceRunResult>;

/**
 * Per source: run, status and what became of every cell it held (新增 + 修订 + 未变 + 重复 + 拒收 + 忽略 = 单元格);
 * then what to do about failures, rejects, and each column left unread, named, with the indicator it probably meant.
 */
export function describeIngest(day: string, results: IngestReport[]): string {
  const lines = [
    `采集日期 ${day}`,
    table(
      ['数据源', '运行号', '状态', '单元格', '新增', '修订', '未变', '重复', '拒收', '忽略'],
      results.map((r) => [r.source, r.runId, SOURCE_STATUS[r.status ?? 'succeeded'], r.cellsSeen ?? '', r.accepted, r.revised, r.unchanged, r.duplicates ?? 0, r.rejected, r.ignored ?? 0]),
    ),
  ];
  for (const r of results) {
    if (r.status === 'failed') lines.push('', `${r.source} 失败：${r.error}\n未写入任何数据。修正后重新运行本命令即可。`);
    if (r.rejected > 0) lines.push('', `${r.source} 有 ${r.rejected} 个单元格被拒收，查看明细：duban rejects --run ${r.runId}`);
    for (const input of r.inputs ?? []) {
      for (const c of input.ignoredColumns ?? []) {
        // An empty column with no header is Excel's trailing comma, not a column anyone meant.
        if (c.reason === 'empty_header' && c.cells === 0) continue;
        const hint = c.suggestion ? `；是否应为“${c.suggestion}”？（可在 indicators.yaml 的 headerAliases 中登记）` : '';
        lines.push(`警告：${path.basename(input.name)} 第 ${c.column} 列“${c.header}”${c.message}，已忽略（${c.cells} 个单元格）${hint}`);
      }
    }
  }
  return lines.join('\n');
}

export function describeReconcile(s: ReconcileSummary): string {
  const steps = s.escalated.map((e) => `问题 ${e.problemId} ${ESCALATION_LABELS[e.level]}（逾期 ${e.overdue} 个工作日）`);
  return `对账 ${s.day}：数据确认恢复 ${s.confirmed}，再次异常 ${s.regressed}，升级 ${s.escalated.length}${steps.length ? `：${steps.join('；')}` : ''}`;
}

export function describeWeek(r: WeekReport): string {
  const missing = r.unaddressed.length > 0 ? `；无收件地址未发：${r.unaddressed.join('、')}` : '';
  return `${r.week}（发函日 ${r.letterDay}）：新写交办函 ${r.letters} 封，交办问题 ${r.assigned} 项${missing}`;
}

function describeEvaluation(r: ResultOf<'evaluate'>): string {
  const { evaluation: e, problems: p } = r;
  if (e.rules.length === 0) {
    return `${e.day} 没有现行规则：规则尚未应用，或现有版本晚于这一天生效。先运行 duban rules apply --reason "初始规则"；要评估过去的日子，用 --effective 指定更早的生效日（如 --effective ${e.day}），并用 duban rules list --day ${e.day} 核对`;
  }
  return [
    `评估日期 ${e.day}（评估号 ${e.evaluationId}）`,
    table(
      ['规则', '版本', '类型', '异常', '新增', '已失效', '说明'],
      e.rules.map((r) => [r.ruleId, r.version, RULE_KIND_LABELS[r.kind as keyof typeof RULE_KIND_LABELS] ?? r.kind, r.found, r.new, r.superseded, r.insufficientHistory ? `${r.insufficientHistory} 个序列历史不足，未判断` : '']),
    ),
    `问题：新建 ${p.opened}，重新打开 ${p.reopened}，并入已有 ${p.attached}（共 ${p.anomalies} 条异常）`,
  ].join('\n');
}

const SUMMARY_OUTCOMES = { written: '调度会材料已写入发件箱', exists: '调度会材料此前已写入', 'no recipients': '未配置调度会材料收件人' } as const;

/** What each step's result says to a person. */
const DESCRIBE: { [K in StepName]: (result: ResultOf<K>, slot: string) => string } = {
  ingest: (r, slot) => describeIngest(slot.slice(0, 10), r),
  evaluate: describeEvaluation,
  reconcile: describeReconcile,
  alerts: (r) => (r.heldBack ? '重大异常督办通知：该日早于上线日的最新数据日，不发当日通知（上线前的积压只记录、不通知）' : `重大异常督办通知：新写入 ${r.alerts} 份`),
  letters: describeWeek,
  summary: (r) => SUMMARY_OUTCOMES[r.summary],
  checkpoint: (r) => `台账检查点：${r.made ? '已生成' : '此前已生成'}，台账共 ${r.events} 条事件${r.mailed ? `，发送给 ${r.mailed} 位审计人员` : ''}`,
  deliver: (r) =>
    'smtp' in r ? '未设置 SMTP_URL：邮件留在发件箱中，由设置了 SMTP_URL 的守护进程发送。' : `投递：送达 ${r.delivered}，稍后重试 ${r.retried}，失败 ${r.failed}`,
  sweep: (r) => `补漏：排入 ${r.enqueued.length} 项任务`,
};

/**
 * A run and what it set off, as the CLI prints them: each step's own report, or why it did nothing (done before,
 * or overtaken by newer data).
 */
export function describeOutcome(o: JobOutcome): string {
  const step = o.step as StepName;
  const label = STEPS[step]?.label ?? o.step;
  const head =
    o.status === 'skipped'
      ? `【${label}】${jobId(o.step, o.slot)} 此前已完成，未重复运行。`
      : o.superseded
        ? `【${label}】${jobId(o.step, o.slot)} 已被更新的数据取代（${o.superseded}），未运行。`
        : (DESCRIBE[step] as (r: unknown, slot: string) => string)(o.result, o.slot);
  const rest = o.status === 'done' ? o.followed.map(describeOutcome) : [];
  return [head, ...rest].join('\n\n');
}
