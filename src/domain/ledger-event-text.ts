import { describeThresholds, fieldChangesText } from './indicator-thresholds';
import type { LedgerEvent } from './ledger-events';
import { ESCALATION_LABELS } from './problem-deadline';
import { STATE_LABELS } from './problem-state';

/**
 * A ledger event as a sentence an auditor reads ("2026 年第 48 周交办函 宣数督〔2026〕48-05号，列出问题 3 项，交办 2
 * 项"), not its JSON. The JSON stays in the ledger and in `--format json`; this is how the table and the 台账 say it.
 */
export interface EventNames {
  /** A unit's name by id (payloads name units by id). */
  unit(id: number): string | undefined;
}

const CHANGE_LABELS = { added: '新增', changed: '修改', retired: '停用' } as const;
export const MESSAGE_KIND_LABELS: Record<string, string> = { letter: '交办函', alert: '督办通知（重大异常）', summary: '调度会材料', notice: '通知', checkpoint: '台账检查点' };

/** `2026-W48` as 2026 年第 48 周. */
export function weekText(week: string): string {
  const m = /^(\d{4})-W(\d{2})$/.exec(week);
  return m ? `${m[1]} 年第 ${Number(m[2])} 周` : week;
}

export function describeEvent(event: { type: string; payload: unknown }, names: EventNames): string {
  const e = event as LedgerEvent;
  const p = e.payload as Record<string, unknown>;
  const move = 'from' in p && 'to' in p && p.from !== p.to ? `（${STATE_LABELS[p.from as keyof typeof STATE_LABELS]} → ${STATE_LABELS[p.to as keyof typeof STATE_LABELS]}）` : '';
  const note = typeof p.note === 'string' && p.note !== '' ? `；备注：${p.note}` : '';
  const text = sentence(e, names);
  return text === undefined ? JSON.stringify(event.payload) : `${text}${move}${note}`;
}

function sentence(e: LedgerEvent, names: EventNames): string | undefined {
  switch (e.type) {
    case 'problem_opened': {
      const owner = names.unit(e.payload.ownerUnitId) ?? `单位 ${e.payload.ownerUnitId}`;
      return `${e.payload.day} 发现${e.payload.kind === 'missing' ? '数据未报送' : '指标异常'}问题，责任单位 ${owner}，依据异常 ${e.payload.anomalyIds.length} 条`;
    }
    case 'problem_reopened':
      return `${e.payload.day} 重新打开：${e.payload.reason}${e.payload.closedOn ? `（原于 ${e.payload.closedOn} 销号）` : ''}`;
    case 'problem_assigned':
      return `${e.payload.day} 交办${e.payload.letterNo ? `（${e.payload.letterNo}）` : ''}，整改期限 ${e.payload.deadline}`;
    case 'problem_responded':
      return `${e.payload.day} 反馈整改：${e.payload.measures}${evidenceText(e.payload.evidence, e.payload.evidenceFiles)}`;
    case 'problem_data_confirmed':
      return `${e.payload.day} 数据确认恢复`;
    case 'problem_data_regressed':
      return `${e.payload.day} 数据再次异常，恢复确认撤回`;
    case 'problem_verified':
      return `${e.payload.day} 由 ${e.payload.by} 核验签字`;
    case 'problem_sent_back':
      return `${e.payload.day} 退回整改：${e.payload.reason}`;
    case 'problem_closed':
      return `${e.payload.day} 销号`;
    case 'problem_dismissed':
      return `${e.payload.day} 撤销：${e.payload.reason}`;
    case 'problem_escalated':
      return `${e.payload.day} 逾期 ${e.payload.overdueWorkingDays} 个工作日，升级为${ESCALATION_LABELS[e.payload.level]}，期限 ${e.payload.deadline}`;
    case 'problem_absorbed':
      return `${e.payload.day} 合并重复问题 ${e.payload.absorbed.join('、')}：${e.payload.reason}`;
    case 'problem_merged':
      return `${e.payload.day} 并入问题 ${e.payload.into}：${e.payload.reason}`;
    case 'rule_version_applied':
      return `第 ${e.payload.version} 版${e.payload.change ? `（${CHANGE_LABELS[e.payload.change]}）` : ''}，${e.payload.effectiveFrom} 起生效：${e.payload.reason}`;
    case 'threshold_version_applied': {
      const p = e.payload;
      const what = p.change === 'added' ? describeThresholds(p.thresholds) : fieldChangesText(p.fields);
      return `${p.name} 阈值第 ${p.version} 版（${CHANGE_LABELS[p.change]}），${p.effectiveFrom} 起生效：${what}；原因：${p.reason}`;
    }
    case 'letter_issued':
      return `${weekText(e.payload.week)}交办函 ${e.payload.letterNo}，${e.payload.day} 发出，列出问题 ${e.payload.problems.length} 项，交办 ${e.payload.assigns.length} 项`;
    case 'message_sent':
      return `${MESSAGE_KIND_LABELS[e.payload.kind] ?? e.payload.kind}（${periodText(e.payload.period)}）已送达 ${e.payload.recipient}，第 ${e.payload.attempts} 次尝试`;
    case 'message_failed':
      return `${MESSAGE_KIND_LABELS[e.payload.kind] ?? e.payload.kind}（${periodText(e.payload.period)}）未能送达 ${e.payload.recipient}：${e.payload.error}`;
    case 'message_requeued':
      return `${MESSAGE_KIND_LABELS[e.payload.kind] ?? e.payload.kind}（${periodText(e.payload.period)}）重新排队发送给 ${e.payload.recipient}`;
    case 'values_recorded':
      return `${e.payload.day} 数据源 ${e.payload.source} 入库 ${e.payload.values} 个数值（其中修订 ${e.payload.revised} 个），采集运行 ${e.payload.runId}，指纹 ${e.payload.digest.slice(0, 12)}…`;
    default:
      return undefined;
  }
}

function evidenceText(evidence: string[] = [], files: Array<{ name: string; sha256: string }> = []): string {
  const n = evidence.length + files.length;
  if (n === 0) return '';
  const named = files.map((f) => `${f.name}（SHA-256 ${f.sha256.slice(0, 12)}…）`);
  return `，附证据 ${n} 件${named.length ? `：${named.join('、')}` : ''}`;
}

function periodText(period: string): string {
  return /^\d{4}-W\d{2}$/.test(period) ? weekText(period) : period;
}
