import { addDays, Day } from './day';
import type { EscalationLevel } from './problem-deadline';
import { DEADLINE_STATES, hasRunningDeadline, ProblemState, STATE_LABELS } from './problem-state';
import type { WorkingCalendar } from './working-calendar';

/**
 * The 台账's 状态: a problem's state, except that a problem whose deadline runs says how far past it it has gone —
 * 逾期, 督办, 通报, each apart — because those are the rows an auditor is asked about, and the ones filtered on.
 */
export const LEDGER_STATUSES = ['open', 'assigned', 'pending_verification', 'overdue', 'supervised', 'notified', 'closed', 'dismissed', 'merged'] as const;
export type LedgerStatus = (typeof LEDGER_STATUSES)[number];

export const LEDGER_STATUS_LABELS: Record<LedgerStatus, string> = { ...STATE_LABELS, overdue: '逾期', supervised: '督办', notified: '通报' };

/** Other words people use for a status: the ladder's own codes, and 提醒 (a step that is still only 逾期). */
export const LEDGER_STATUS_ALIASES: Partial<Record<LedgerStatus, readonly string[]>> = {
  overdue: ['remind', '提醒'],
  supervised: ['supervise'],
  notified: ['notify'],
};

/**
 * 通报 and 督办 as the ladder last stepped; otherwise 逾期 when `overdue` (working days past the deadline on the day
 * the 台账 is as of) is at least 1 — the count the letters and the ladder use, so a deadline that fell on a Friday
 * is not yet 逾期 on the Sunday. A problem whose deadline does not run keeps its state.
 */
export function ledgerStatus(p: { state: ProblemState; escalation: EscalationLevel }, overdue: number): LedgerStatus {
  if (!hasRunningDeadline(p.state)) return p.state;
  if (p.escalation === 'notify') return 'notified';
  if (p.escalation === 'supervise') return 'supervised';
  return overdue > 0 ? 'overdue' : p.state;
}

/**
 * Which stored problems have a status on a day, as a query can ask it: their state, the ladder's step and whether the
 * deadline is before `cutoff`. `overdue` is at least 1 exactly when a working day lies after the deadline and on or
 * before the day, that is when the deadline is before the last working day on or before it: `cutoff`.
 */
export interface LedgerStatusCondition {
  states: readonly ProblemState[];
  escalations?: readonly EscalationLevel[];
  /** true: the deadline is before `cutoff`; false: it is not (or there is none). */
  overdue?: boolean;
  cutoff: Day;
}

export function ledgerStatusCondition(status: LedgerStatus, calendar: WorkingCalendar, asOf: Day): LedgerStatusCondition {
  // Beyond the calendar (a new year whose holidays are not in yet) a deadline before the day itself counts, as the
  // 台账's rows then judge it (src/domain/audit-sheets.ts).
  const cutoff = calendar.covers(asOf) ? calendar.addWorkingDays(addDays(asOf, 1), -1) : asOf;
  const notEscalated = ['none', 'remind'] as const;
  switch (status) {
    case 'notified':
      return { states: DEADLINE_STATES, escalations: ['notify'], cutoff };
    case 'supervised':
      return { states: DEADLINE_STATES, escalations: ['supervise'], cutoff };
    case 'overdue':
      return { states: DEADLINE_STATES, escalations: notEscalated, overdue: true, cutoff };
    case 'assigned':
    case 'pending_verification':
      return { states: [status], escalations: notEscalated, overdue: false, cutoff };
    default:
      return { states: [status], cutoff };
  }
}
