import type { Day } from './day';
import type { ProblemEvent, ProblemMove } from './ledger-events';
import { deadlineFor, EscalationLadder, EscalationLevel, escalationLevel, isAbove, overdueWorkingDays } from './problem-deadline';
import type { WorkingCalendar } from './working-calendar';

/**
 * The life of a problem (问题), as the bureau runs it: 待交办 → 整改中 → 待核验 → 已销号, or 已撤销 with a reason.
 * This is the one authority over a problem's state: every change, by an operator, a letter, reconciliation or a
 * recurring anomaly, is decided here, and the decision carries every stored field and the ledger event to append.
 * Repositories store only what `decide` and `openProblem` return (their types say so); nothing else writes a state.
 */

export const PROBLEM_STATES = ['open', 'assigned', 'pending_verification', 'closed', 'dismissed', 'merged'] as const;
export type ProblemState = (typeof PROBLEM_STATES)[number];

/** Not closed or dismissed: a problem still to be followed. One per series and kind at most (a unique index). */
export const LIVE_STATES = ['open', 'assigned', 'pending_verification'] as const satisfies readonly ProblemState[];
/** Assigned and not yet closed: the deadline runs, so these can be overdue and escalate. */
export const DEADLINE_STATES = ['assigned', 'pending_verification'] as const satisfies readonly ProblemState[];

export function isLive(state: ProblemState): boolean {
  return (LIVE_STATES as readonly ProblemState[]).includes(state);
}

export function hasRunningDeadline(state: ProblemState): boolean {
  return (DEADLINE_STATES as readonly ProblemState[]).includes(state);
}

export const STATE_LABELS: Record<ProblemState, string> = {
  open: '待交办',
  assigned: '整改中',
  pending_verification: '待核验',
  closed: '已销号',
  dismissed: '已撤销',
  merged: '已合并',
};

/** Every stored field a decision reads or writes. */
export interface ProblemStatus {
  state: ProblemState;
  dataConfirmed: boolean;
  signedOffBy: string | null;
  assignedOn: Day | null;
  deadline: Day | null;
  closedOn: Day | null;
  escalation: EscalationLevel;
  reopenCount: number;
  /** The letter that assigned it; none when assigned by hand or not yet. */
  letterId: number | null;
}

declare const decided: unique symbol;
/** A status this module decided. Only `decide` and `openProblem` make one, and only one can be stored. */
export type DecidedStatus = Readonly<ProblemStatus> & { readonly [decided]: true };

/** A file attached to a reply, as the ledger records it: kept in the database, named by its SHA-256. */
export interface EvidenceFileRef {
  id: number;
  name: string;
  sha256: string;
  size: number;
}

export type ProblemAction =
  /** An operator assigns it by hand: the deadline starts. */
  | { type: 'assign'; day: Day; note?: string }
  /** The week's 交办函 assigns it. */
  | { type: 'assign_by_letter'; day: Day; letterId: number; letterNo: string }
  /** The department reports its fix. */
  | { type: 'respond'; day: Day; measures: string; evidence?: string[]; evidenceFiles?: EvidenceFileRef[]; note?: string }
  /** Reconciliation: the indicator has been within threshold for the days the policy asks. */
  | { type: 'data_confirmed'; day: Day; note?: string }
  /** Reconciliation: the indicator is out of threshold again before closure. */
  | { type: 'data_regressed'; day: Day }
  /** A checker's sign-off. */
  | { type: 'verify'; day: Day; by: string; note?: string }
  /** A checker finds the reply wanting: back to the department, its deadline running on. */
  | { type: 'send_back'; day: Day; reason: string; note?: string }
  | { type: 'close'; day: Day; note?: string }
  | { type: 'dismiss'; day: Day; reason: string; note?: string }
  /** An operator brings a closed or dismissed problem back. */
  | { type: 'reopen'; day: Day; reason: string; note?: string }
  /** An anomaly of its series came back within the reopen window after it was closed. */
  | { type: 'recur'; day: Day; kind: string; anomalyIds: number[] }
  /** Reconciliation: a working day more past the deadline reached the next step of the ladder. */
  | { type: 'escalate'; day: Day };

export type ActionType = ProblemAction['type'];

export interface ClosePolicy {
  requireDataConfirmation: boolean;
  requireSignOff: boolean;
}

/** The default: both the data and a checker. */
export const DEFAULT_CLOSE_POLICY: ClosePolicy = { requireDataConfirmation: true, requireSignOff: true };

/** What the bureau's configuration says decisions must follow. */
export interface ProblemRules {
  calendar: WorkingCalendar;
  closePolicy: ClosePolicy;
  /** Working days to fix, by category. */
  deadlines: Readonly<Record<string, number>>;
  ladder: EscalationLadder;
  /** A problem closed no longer ago than this many working days is reopened by a new anomaly. */
  reopenWithinWorkingDays: number;
}

export interface Decision {
  status: DecidedStatus;
  event: ProblemEvent;
}

export class TransitionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransitionRefused';
  }
}

const ACTION_LABELS: Record<ActionType, string> = {
  assign: '交办',
  assign_by_letter: '以交办函交办',
  respond: '反馈整改措施',
  data_confirmed: '数据确认恢复',
  data_regressed: '数据再次异常',
  verify: '核验签字',
  send_back: '退回整改',
  close: '销号',
  dismiss: '撤销',
  reopen: '重新打开',
  recur: '因再次异常重新打开',
  escalate: '升级督办',
};

/** Which actions each state admits; the rest are refused. */
const ALLOWED: Record<ProblemState, readonly ActionType[]> = {
  open: ['assign', 'assign_by_letter', 'data_confirmed', 'data_regressed', 'dismiss'],
  assigned: ['respond', 'data_confirmed', 'data_regressed', 'dismiss', 'escalate'],
  pending_verification: ['respond', 'data_confirmed', 'data_regressed', 'verify', 'send_back', 'close', 'dismiss', 'escalate'],
  closed: ['reopen', 'recur'],
  dismissed: ['reopen'],
  // Its anomalies and history went to the problem it was merged into, which is followed instead.
  merged: [],
};

/** Actions a person may take (the rest are the daemon's). */
const BY_HAND: readonly ActionType[] = ['assign', 'respond', 'verify', 'send_back', 'close', 'dismiss', 'reopen'];

export function allowedActions(state: ProblemState): readonly ActionType[] {
  return ALLOWED[state];
}

/** 待交办 with nothing confirmed, signed or assigned: a problem just found, or reopened to be assigned again. */
export const UNASSIGNED = {
  state: 'open',
  dataConfirmed: false,
  signedOffBy: null,
  assignedOn: null,
  deadline: null,
  closedOn: null,
  escalation: 'none',
  letterId: null,
} as const satisfies Omit<ProblemStatus, 'reopenCount'>;

/** The status of a problem just found. */
export function openProblem(input: { kind: string; day: Day; anomalyIds: number[]; ownerUnitId: number }): Decision {
  const status: ProblemStatus = { ...UNASSIGNED, reopenCount: 0 };
  return { status: status as DecidedStatus, event: { type: 'problem_opened', payload: input } };
}

/** The deadline a problem of `category` gets when assigned on `day`, as both a letter and `decide` compute it. */
export function deadlineOnAssignment(rules: Pick<ProblemRules, 'calendar' | 'deadlines'>, category: string, day: Day): Day {
  const workingDays = rules.deadlines[category];
  if (workingDays === undefined) throw new TransitionRefused(`问题类别“${category}”在配置 problems.deadlines 中没有整改期限`);
  return deadlineFor(rules.calendar, day, workingDays);
}

/** The step of the ladder an assigned problem has newly reached on `day`, if any (never one it is already on or above). */
export function escalationDue(status: Pick<ProblemStatus, 'state' | 'deadline' | 'escalation'>, day: Day, rules: Pick<ProblemRules, 'calendar' | 'ladder'>) {
  if (!hasRunningDeadline(status.state) || status.deadline === null || status.deadline >= day) return undefined;
  const overdue = overdueWorkingDays(rules.calendar, status.deadline, day);
  const level = escalationLevel(overdue, rules.ladder);
  return isAbove(level, status.escalation) ? { level, overdue } : undefined;
}

/**
 * What `action` makes of a problem: every stored field after it, and the ledger event that records it; or a refusal
 * that says the current state and what it allows.
 */
export function decide(current: ProblemStatus, category: string, action: ProblemAction, rules: ProblemRules): Decision {
  const allowed = ALLOWED[current.state];
  if (!allowed.includes(action.type)) {
    const byHand = allowed.filter((a) => BY_HAND.includes(a));
    throw new TransitionRefused(
      `问题当前为“${STATE_LABELS[current.state]}”，不能${ACTION_LABELS[action.type]}；此状态下可以：${byHand.map((a) => ACTION_LABELS[a]).join('、') || '（无）'}`,
    );
  }
  const note = 'note' in action && action.note ? { note: action.note } : {};
  const move = (to: ProblemState): ProblemMove => ({ from: current.state, to, day: action.day, ...note });
  const decision = (next: ProblemStatus, event: ProblemEvent): Decision => ({ status: next as DecidedStatus, event });
  /** Back to 待交办: the department is to be assigned it again; only the count of reopenings stays. */
  const reopened = (): ProblemStatus => ({ ...UNASSIGNED, reopenCount: current.reopenCount + 1 });

  switch (action.type) {
    case 'assign':
    case 'assign_by_letter': {
      const deadline = deadlineOnAssignment(rules, category, action.day);
      // A new assignment starts a new deadline, so the ladder starts again.
      const next = { ...current, state: 'assigned' as const, assignedOn: action.day, deadline, escalation: 'none' as const };
      if (action.type === 'assign') return decision({ ...next, letterId: null }, { type: 'problem_assigned', payload: { ...move('assigned'), deadline } });
      return decision({ ...next, letterId: action.letterId }, { type: 'problem_assigned', payload: { ...move('assigned'), deadline, letterNo: action.letterNo } });
    }
    case 'respond': {
      if (!action.measures.trim()) throw new TransitionRefused('反馈整改措施时必须写明措施');
      const evidence = action.evidence?.length ? { evidence: action.evidence } : {};
      const files = action.evidenceFiles?.length ? { evidenceFiles: action.evidenceFiles } : {};
      return decision(
        { ...current, state: 'pending_verification' },
        { type: 'problem_responded', payload: { ...move('pending_verification'), measures: action.measures, ...evidence, ...files } },
      );
    }
    case 'data_confirmed': {
      // Recovery alone moves an assigned problem on only where the policy does not wait for the department.
      const to = current.state === 'assigned' && !rules.closePolicy.requireSignOff ? 'pending_verification' : current.state;
      return decision({ ...current, dataConfirmed: true, state: to }, { type: 'problem_data_confirmed', payload: move(to) });
    }
    case 'data_regressed': {
      // A sign-off given on data that no longer hold is void; a problem not yet assigned stays 待交办.
      const to = current.state === 'open' ? 'open' : 'assigned';
      return decision({ ...current, dataConfirmed: false, signedOffBy: null, state: to }, { type: 'problem_data_regressed', payload: move(to) });
    }
    case 'verify':
      if (!action.by.trim()) throw new TransitionRefused('核验签字必须写明核验人');
      return decision({ ...current, signedOffBy: action.by }, { type: 'problem_verified', payload: { ...move(current.state), by: action.by } });
    case 'close': {
      const missing = [
        ...(rules.closePolicy.requireDataConfirmation && !current.dataConfirmed ? ['数据尚未确认恢复'] : []),
        ...(rules.closePolicy.requireSignOff && !current.signedOffBy ? ['尚无核验人签字'] : []),
      ];
      if (missing.length > 0) throw new TransitionRefused(`不能销号：${missing.join('，')}`);
      return decision({ ...current, state: 'closed', closedOn: action.day }, { type: 'problem_closed', payload: move('closed') });
    }
    case 'send_back':
      // The sign-off, if any, went with the reply it judged; the deadline and the ladder run on.
      if (!action.reason.trim()) throw new TransitionRefused('退回整改必须说明原因');
      return decision({ ...current, state: 'assigned', signedOffBy: null }, { type: 'problem_sent_back', payload: { ...move('assigned'), reason: action.reason } });
    case 'dismiss':
      if (!action.reason.trim()) throw new TransitionRefused('撤销问题必须说明原因');
      return decision({ ...current, state: 'dismissed', closedOn: null }, { type: 'problem_dismissed', payload: { ...move('dismissed'), reason: action.reason } });
    case 'reopen':
      if (!action.reason.trim()) throw new TransitionRefused('重新打开问题必须说明原因');
      return decision(reopened(), { type: 'problem_reopened', payload: { ...move('open'), reason: action.reason } });
    case 'recur': {
      const closedOn = current.closedOn;
      if (closedOn === null || closedOn < rules.calendar.addWorkingDays(action.day, -rules.reopenWithinWorkingDays)) {
        throw new TransitionRefused(`问题销号已超过 ${rules.reopenWithinWorkingDays} 个工作日，再次出现异常应作为新问题`);
      }
      return decision(reopened(), {
        type: 'problem_reopened',
        payload: {
          ...move('open'),
          reason: `已销号问题在 ${rules.reopenWithinWorkingDays} 个工作日内再次出现异常`,
          kind: action.kind,
          closedOn,
          anomalyIds: action.anomalyIds,
        },
      });
    }
    case 'escalate': {
      const due = escalationDue(current, action.day, rules);
      if (!due) throw new TransitionRefused('问题未到新的督办等级');
      return decision(
        { ...current, escalation: due.level },
        { type: 'problem_escalated', payload: { ...move(current.state), level: due.level, deadline: current.deadline!, overdueWorkingDays: due.overdue } },
      );
    }
  }
}

/**
 * Duplicates of one fact (live problems of one series, left from before a problem was a fact rather than a rule hit)
 * merged into the oldest: it takes the status of the first of them to be assigned, so deadlines and escalation
 * follow the first assignment, and the others end 已合并, pointing at it. One decision each, with its event.
 */
export function mergeDuplicates(members: ReadonlyArray<{ id: number; status: ProblemStatus }>, day: Day, reason: string): Array<{ id: number; decision: Decision }> {
  const byId = [...members].sort((a, b) => a.id - b.id);
  const [survivor, ...absorbed] = byId;
  if (!survivor || absorbed.length === 0) return [];
  for (const m of byId) if (!isLive(m.status.state)) throw new TransitionRefused(`问题 ${m.id} 当前为“${STATE_LABELS[m.status.state]}”，只能合并待办中的问题`);
  const firstAssigned = byId
    .filter((m) => m.status.assignedOn !== null)
    .sort((a, b) => (a.status.assignedOn! < b.status.assignedOn! ? -1 : a.status.assignedOn! > b.status.assignedOn! ? 1 : a.id - b.id))[0];
  const base = firstAssigned ?? survivor;
  const merged: ProblemStatus = { ...base.status, reopenCount: Math.max(...byId.map((m) => m.status.reopenCount)) };
  const ids = absorbed.map((m) => m.id);
  return [
    {
      id: survivor.id,
      decision: {
        status: merged as DecidedStatus,
        event: {
          type: 'problem_absorbed',
          payload: { from: survivor.status.state, to: merged.state, day, absorbed: ids, reason, ...(base !== survivor ? { assignmentOf: base.id } : {}) },
        },
      },
    },
    ...absorbed.map((m) => ({
      id: m.id,
      decision: {
        status: { ...m.status, state: 'merged' } as DecidedStatus,
        event: { type: 'problem_merged' as const, payload: { from: m.status.state, to: 'merged' as const, day, into: survivor.id, reason } },
      },
    })),
  ];
}
