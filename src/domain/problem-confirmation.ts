import { addDays, Day } from './day';
import type { WorkingCalendar } from './working-calendar';

/**
 * When the data confirm that a problem is fixed (数据确认恢复), as a function of the data as they stand, never of the
 * order in which days were judged or reconciled:
 *
 * - a value problem, once the `n` working days after its latest breach (a breach on any day counts, weekend or holiday;
 *   one that revisions took back still anchors the count) each have a value, and every day after the breach that has
 *   values, to the last of those days or the latest data if later, has been judged on its current data (a day with
 *   values not yet judged could hold a breach not yet seen);
 * - a missing-data problem, once none of its missing days is still missing (a late file fills the gap).
 *
 * Reconciliation asks this of every live problem and moves those whose answer changed.
 */
export interface ConfirmationFacts {
  kind: 'value' | 'missing';
  /** The latest day with a breach of the problem still standing (an active anomaly); null when none stands. */
  latestBreach: Day | null;
  /** The last day any breach of the problem was seen, standing or not. */
  lastSeen: Day;
}

export interface Confirmation {
  confirmed: boolean;
  /** The day the answer rests on: the last confirming working day; or, when not confirmed, the latest breach. */
  day: Day;
  /** In words, for the ledger event. */
  note: string;
}

/**
 * The working days whose values confirm a recovery after a breach on `breach`, and the days that must have been judged
 * for it: every day after the breach up to the last of them, or up to `latestData` (the latest day with values) if later.
 */
export function confirmationWindow(calendar: WorkingCalendar, breach: Day, n: number, latestData: Day | null = null): { workingDays: Day[]; span: Day[] } {
  const workingDays = Array.from({ length: n }, (_, k) => calendar.addWorkingDays(breach, k + 1));
  const end = latestData !== null && latestData > workingDays.at(-1)! ? latestData : workingDays.at(-1)!;
  const span: Day[] = [];
  for (let d = addDays(breach, 1); d <= end; d = addDays(d, 1)) span.push(d);
  return { workingDays, span };
}

/** The breach a value problem's confirmation counts from: its latest standing one, else the last one revisions took back. */
export function confirmationAnchor(p: ConfirmationFacts): Day {
  return p.latestBreach ?? p.lastSeen;
}

export function confirmationOf(
  p: ConfirmationFacts,
  data: {
    calendar: WorkingCalendar;
    n: number;
    /** The latest day with any values. */
    latestData: Day | null;
    /** Whether the problem's series has a value on the day. */
    reported(day: Day): boolean;
    /** Whether the day has been judged on its current data (a day without data needs no judging). */
    judged(day: Day): boolean;
    /** For a missing-data problem: how many of its missing days are still missing. */
    stillMissing: number;
    /**
     * `confirmationWindow` of `calendar`, `n` and `latestData` for a breach, when the caller keeps them: reconciling
     * tens of thousands of problems, whose breaches fall on a few dozen days, computes each window once.
     */
    windowOf?(breach: Day): { workingDays: Day[]; span: Day[] };
  },
): Confirmation {
  if (p.kind === 'missing') {
    return data.stillMissing === 0
      ? { confirmed: true, day: p.lastSeen, note: '缺报的数据均已补报' }
      : { confirmed: false, day: p.lastSeen, note: `仍有 ${data.stillMissing} 项数据未报送` };
  }
  const anchor = confirmationAnchor(p);
  const { workingDays, span } = data.windowOf?.(anchor) ?? confirmationWindow(data.calendar, anchor, data.n, data.latestData);
  const unreported = workingDays.filter((d) => !data.reported(d));
  const unjudged = span.filter((d) => !data.judged(d));
  if (unreported.length === 0 && unjudged.length === 0) {
    // Revisions may have taken back every breach: the days after the last one still have to bear it out.
    const taken = p.latestBreach === null ? `（${anchor} 的异常已因数据修订失效）` : '';
    return { confirmed: true, day: workingDays.at(-1)!, note: `${workingDays[0]} 至 ${workingDays.at(-1)} 连续 ${data.n} 个工作日数据正常${taken}` };
  }
  const waiting = unreported.length > 0 ? `其后 ${data.n} 个工作日中 ${unreported.join('、')} 尚无数据` : `${unjudged.join('、')} 的数据尚待评估`;
  return { confirmed: false, day: anchor, note: `${anchor} 有异常，${waiting}` };
}
