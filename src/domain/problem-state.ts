/**
 * The life of a problem (问题), as the bureau runs it: 待交办 → 整改中 → 待核验 → 已销号, or 已撤销 with a reason.
 * Pure: the service loads a problem, asks here what an action does, and stores the result with a ledger event.
 */

export type ProblemState = 'open' | 'assigned' | 'pending_verification' | 'closed' | 'dismissed';

export const STATE_LABELS: Record<ProblemState, string> = {
  open: '待交办',
  assigned: '整改中',
  pending_verification: '待核验',
  closed: '已销号',
  dismissed: '已撤销',
};

export type ProblemAction =
  /** A letter or alert reached the owner: the deadline starts. */
  | { type: 'assign' }
  /** The department reports its fix. */
  | { type: 'respond'; measures: string }
  /** Reconciliation: the indicator has been within threshold for the days the policy asks. */
  | { type: 'data_confirmed' }
  /** Reconciliation: the indicator is out of threshold again before closure. */
  | { type: 'data_regressed' }
  /** A checker's sign-off. */
  | { type: 'verify'; by: string }
  | { type: 'close' }
  | { type: 'dismiss'; reason: string }
  | { type: 'reopen'; reason: string };

export interface ClosePolicy {
  requireDataConfirmation: boolean;
  requireSignOff: boolean;
}

/** The default: both the data and a checker. */
export const DEFAULT_CLOSE_POLICY: ClosePolicy = { requireDataConfirmation: true, requireSignOff: true };

export interface ProblemStatus {
  state: ProblemState;
  dataConfirmed: boolean;
  signedOffBy: string | null;
}

export class TransitionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransitionRefused';
  }
}

const ACTION_LABELS: Record<ProblemAction['type'], string> = {
  assign: '交办',
  respond: '反馈整改措施',
  data_confirmed: '数据确认恢复',
  data_regressed: '数据再次异常',
  verify: '核验签字',
  close: '销号',
  dismiss: '撤销',
  reopen: '重新打开',
};

/** Which actions each state admits; the rest are refused. */
const ALLOWED: Record<ProblemState, ReadonlyArray<ProblemAction['type']>> = {
  open: ['assign', 'data_confirmed', 'data_regressed', 'dismiss'],
  assigned: ['respond', 'data_confirmed', 'data_regressed', 'dismiss'],
  pending_verification: ['respond', 'data_confirmed', 'data_regressed', 'verify', 'close', 'dismiss'],
  closed: ['reopen'],
  dismissed: ['reopen'],
};

export function allowedActions(state: ProblemState): ReadonlyArray<ProblemAction['type']> {
  return ALLOWED[state];
}

/** What `action` makes of `status`, or a refusal that says the current state and what it allows. */
export function transition(status: ProblemStatus, action: ProblemAction, policy: ClosePolicy = DEFAULT_CLOSE_POLICY): ProblemStatus {
  const allowed = ALLOWED[status.state];
  if (!allowed.includes(action.type)) {
    throw new TransitionRefused(
      `问题当前为“${STATE_LABELS[status.state]}”，不能${ACTION_LABELS[action.type]}；此状态下可以：${allowed.map((a) => ACTION_LABELS[a]).join('、')}`,
    );
  }
  switch (action.type) {
    case 'assign':
      return { ...status, state: 'assigned' };
    case 'respond':
      if (!action.measures.trim()) throw new TransitionRefused('反馈整改措施时必须写明措施');
      return { ...status, state: 'pending_verification' };
    case 'data_confirmed':
      // Recovery alone moves an assigned problem on only where the policy does not wait for the department.
      return {
        ...status,
        dataConfirmed: true,
        state: status.state === 'assigned' && !policy.requireSignOff ? 'pending_verification' : status.state,
      };
    case 'data_regressed':
      // A sign-off given on data that no longer hold is void; a problem not yet assigned stays 待交办.
      return { ...status, dataConfirmed: false, signedOffBy: null, state: status.state === 'open' ? 'open' : 'assigned' };
    case 'verify':
      if (!action.by.trim()) throw new TransitionRefused('核验签字必须写明核验人');
      return { ...status, signedOffBy: action.by };
    case 'close': {
      const missing = [
        ...(policy.requireDataConfirmation && !status.dataConfirmed ? ['数据尚未确认恢复'] : []),
        ...(policy.requireSignOff && !status.signedOffBy ? ['尚无核验人签字'] : []),
      ];
      if (missing.length > 0) throw new TransitionRefused(`不能销号：${missing.join('，')}`);
      return { ...status, state: 'closed' };
    }
    case 'dismiss':
      if (!action.reason.trim()) throw new TransitionRefused('撤销问题必须说明原因');
      return { ...status, state: 'dismissed' };
    case 'reopen':
      if (!action.reason.trim()) throw new TransitionRefused('重新打开问题必须说明原因');
      return { state: 'open', dataConfirmed: false, signedOffBy: null };
  }
}
