import type { Day } from './day';
import type { WorkingCalendar } from './working-calendar';

/** 提醒 → 督办 → 通报, each reached after so many working days past the deadline. */
export interface EscalationLadder {
  remind: number;
  supervise: number;
  notify: number;
}

export const DEFAULT_LADDER: EscalationLadder = { remind: 1, supervise: 3, notify: 6 };

/** The ladder's steps in order, lowest first: the one place that says which step is above which. */
export const ESCALATION_LEVELS = ['none', 'remind', 'supervise', 'notify'] as const;
export type EscalationLevel = (typeof ESCALATION_LEVELS)[number];

export const ESCALATION_LABELS: Record<EscalationLevel, string> = { none: '', remind: '提醒', supervise: '督办', notify: '通报' };

/** Whether `a` is a higher step of the ladder than `b`. */
export function isAbove(a: EscalationLevel, b: EscalationLevel): boolean {
  return ESCALATION_LEVELS.indexOf(a) > ESCALATION_LEVELS.indexOf(b);
}

/** The deadline of a problem assigned on `assignedOn` with `workingDays` to fix it: counted from the next working day. */
export function deadlineFor(calendar: WorkingCalendar, assignedOn: Day, workingDays: number): Day {
  return calendar.addWorkingDays(assignedOn, workingDays);
}

/** Working days past the deadline on `today` (0 on or before it); holidays do not count against a department. */
export function overdueWorkingDays(calendar: WorkingCalendar, deadline: Day, today: Day): number {
  return Math.max(0, calendar.workingDaysBetween(deadline, today));
}

export function escalationLevel(overdue: number, ladder: EscalationLadder = DEFAULT_LADDER): EscalationLevel {
  if (overdue >= ladder.notify) return 'notify';
  if (overdue >= ladder.supervise) return 'supervise';
  if (overdue >= ladder.remind) return 'remind';
  return 'none';
}
