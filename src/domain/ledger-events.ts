import type { Day } from './day';
import type { ThresholdField, Thresholds } from './indicator-thresholds';
import type { EscalationLevel } from './problem-deadline';
import type { EvidenceFileRef, ProblemState } from './problem-state';

/**
 * Every kind of event the 台账 records, with what each one's payload holds. Writers can only append these; readers
 * (the CLI, exports, the demo) name them through `EVENT_LABELS`. A new kind of event is a new member here first.
 */

/** Where a problem event leaves the problem: the states before and after, and the day it counts for. */
export interface ProblemMove {
  from: ProblemState;
  to: ProblemState;
  day: Day;
  /** What the person acting added, if anything. */
  note?: string;
}

export type ProblemEvent =
  | { type: 'problem_opened'; payload: { kind: string; day: Day; anomalyIds: number[]; ownerUnitId: number } }
  /** By an operator (with a reason), or by an anomaly within the reopen window (with the day it had been closed). */
  | { type: 'problem_reopened'; payload: ProblemMove & { reason: string; kind?: string; closedOn?: Day; anomalyIds?: number[] } }
  /** By hand, or by a letter (its number). */
  | { type: 'problem_assigned'; payload: ProblemMove & { deadline: Day; letterNo?: string } }
  | { type: 'problem_responded'; payload: ProblemMove & { measures: string; evidence?: string[]; evidenceFiles?: EvidenceFileRef[] } }
  | { type: 'problem_data_confirmed'; payload: ProblemMove }
  | { type: 'problem_data_regressed'; payload: ProblemMove }
  | { type: 'problem_verified'; payload: ProblemMove & { by: string } }
  /** A checker sent the reply back: the department is to fix it again. */
  | { type: 'problem_sent_back'; payload: ProblemMove & { reason: string } }
  | { type: 'problem_closed'; payload: ProblemMove }
  | { type: 'problem_dismissed'; payload: ProblemMove & { reason: string } }
  | { type: 'problem_escalated'; payload: ProblemMove & { level: EscalationLevel; deadline: Day; overdueWorkingDays: number } }
  /** Duplicates of its fact were merged into it; it took the first assignment among them (`assignmentOf`). */
  | { type: 'problem_absorbed'; payload: ProblemMove & { absorbed: number[]; reason: string; assignmentOf?: number } }
  /** Merged into another problem of the same fact, which is followed instead. */
  | { type: 'problem_merged'; payload: ProblemMove & { into: number; reason: string } };

export type RuleEvent = {
  type: 'rule_version_applied';
  payload: { version: number; change: 'added' | 'changed' | 'retired' | undefined; digest: string; reason: string; effectiveFrom: Day };
};

/** A new version of an indicator's thresholds: what changed, the whole version, why and from which day. */
export type ThresholdEvent = {
  type: 'threshold_version_applied';
  payload: {
    indicator: string;
    name: string;
    version: number;
    change: 'added' | 'changed';
    fields: Array<{ field: ThresholdField; from: Thresholds[ThresholdField] | null; to: Thresholds[ThresholdField] }>;
    thresholds: Thresholds;
    reason: string;
    effectiveFrom: Day;
  };
};

export type LetterEvent = {
  type: 'letter_issued';
  payload: { letterNo: string; week: string; day: Day; messageId: string; problems: number[]; assigns: number[] };
};

/** A message of the outbox, as its delivery events name it. */
export interface MessageRef {
  outboxId: number;
  kind: string;
  recipient: string;
  period: string;
  messageId: string;
  attempts: number;
}

export type MessageEvent =
  | { type: 'message_sent'; payload: MessageRef }
  | { type: 'message_failed'; payload: MessageRef & { error: string } }
  /** An operator put a failed message back to be sent again. */
  | { type: 'message_requeued'; payload: MessageRef & { previousError: string | null } };

/**
 * The values one ingest run stored, fingerprinted (values-digest.ts), so that a value changed, added or removed later
 * other than by a revision is found by `audit verify`. `revised`: how many of them replaced a stored value.
 */
export type ValuesEvent = {
  type: 'values_recorded';
  payload: { runId: number; day: Day; source: string; values: number; revised: number; digest: string; note?: string };
};

export type LedgerEvent = ProblemEvent | RuleEvent | ThresholdEvent | LetterEvent | MessageEvent | ValuesEvent;
export type LedgerEventType = LedgerEvent['type'];

/** How a person reads each kind of event. */
export const EVENT_LABELS: Record<LedgerEventType, string> = {
  rule_version_applied: '规则新版本',
  threshold_version_applied: '阈值新版本',
  problem_opened: '发现问题',
  problem_reopened: '重新打开',
  problem_assigned: '交办',
  problem_responded: '反馈整改',
  problem_data_confirmed: '数据确认恢复',
  problem_data_regressed: '数据再次异常',
  problem_verified: '核验签字',
  problem_sent_back: '退回整改',
  problem_closed: '销号',
  problem_dismissed: '撤销',
  problem_escalated: '升级',
  problem_absorbed: '合并重复问题',
  problem_merged: '并入其他问题',
  letter_issued: '发出交办函',
  message_sent: '邮件送达',
  message_failed: '邮件未能送达',
  message_requeued: '邮件重新发送',
  values_recorded: '数据入库',
};

export function eventLabel(type: string): string {
  return (EVENT_LABELS as Record<string, string>)[type] ?? type;
}
