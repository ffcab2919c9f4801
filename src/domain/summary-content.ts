import { formatValue } from './anomaly-explanation';
import type { Day } from './day';
import { weekParts, type IsoWeek } from './iso-week';
import type { Bureau, IndicatorStanding, LetterProblem } from './letter-content';
import { chineseDate, chineseMonthDay } from './letter-schedule';
import { ESCALATION_LABELS, EscalationLevel, isAbove, overdueWorkingDays } from './problem-deadline';
import { hasRunningDeadline, isLive } from './problem-state';
import type { WorkingCalendar } from './working-calendar';

export interface SummaryInput {
  week: IsoWeek;
  letterDay: Day;
  window: { from: Day; to: Day };
  dataDay: Day | null;
  bureau: Bureau;
  /** Live problems, those closed in the window and those first seen in it, each with the unit that answers for it. */
  problems: Array<LetterProblem & { owner: string }>;
  lettersIssued: number;
  /** Every unit's standing on each indicator. */
  standings: Array<IndicatorStanding & { unit: string }>;
  /** Problems opened and closed in each of the last weeks, oldest first. */
  trend: Array<{ week: IsoWeek; opened: number; closed: number }>;
  calendar: WorkingCalendar;
  /**
   * The ledger's signed checkpoints of the week (when, in the bureau's zone), so the director's copy of the summary is
   * one more record of the ledger's head outside the database; `undefined` when checkpoints are not configured.
   */
  checkpoints?: Array<{ when: string; events: number; head: string; key: string }>;
}

/** How many rows of a table the director reads before the rest is summed up in one line. */
const TABLE_ROWS = 30;

/** The director's 调度会材料: every unit's counts, who is overdue, what changed this week, where indicators stand. */
export function composeSummary(input: SummaryInput) {
  const { calendar, letterDay, window } = input;
  const inWindow = (d: Day | null) => d !== null && d >= window.from && d <= window.to;
  const live = (p: LetterProblem) => isLive(p.state);
  const overdueDays = (p: LetterProblem) => (hasRunningDeadline(p.state) && p.deadline ? overdueWorkingDays(calendar, p.deadline, letterDay) : 0);

  const byUnit = new Map<string, { unit: string; fresh: number; open: number; assigned: number; awaiting: number; overdue: number; maxOverdue: number; closed: number; escalation: EscalationLevel }>();
  for (const p of input.problems) {
    const u = byUnit.get(p.owner) ?? { unit: p.owner, fresh: 0, open: 0, assigned: 0, awaiting: 0, overdue: 0, maxOverdue: 0, closed: 0, escalation: 'none' as EscalationLevel };
    byUnit.set(p.owner, u);
    if (inWindow(p.firstSeen)) u.fresh++;
    if (p.state === 'open') u.open++;
    if (p.state === 'assigned') u.assigned++;
    if (p.state === 'pending_verification') u.awaiting++;
    if (p.state === 'closed' && inWindow(p.closedOn)) u.closed++;
    const late = overdueDays(p);
    if (late > 0) {
      u.overdue++;
      u.maxOverdue = Math.max(u.maxOverdue, late);
      if (isAbove(p.escalation, u.escalation)) u.escalation = p.escalation;
    }
  }
  const units = [...byUnit.values()].filter((u) => u.open + u.assigned + u.awaiting + u.fresh + u.closed > 0);
  units.sort((a, b) => b.overdue - a.overdue || b.open + b.assigned + b.awaiting - (a.open + a.assigned + a.awaiting) || a.unit.localeCompare(b.unit, 'zh'));
  const overdueRanking = units
    .filter((u) => u.overdue > 0)
    .sort((a, b) => b.overdue - a.overdue || b.maxOverdue - a.maxOverdue || a.unit.localeCompare(b.unit, 'zh'))
    .slice(0, 10)
    .map((u, k) => ({ rank: k + 1, unit: u.unit, overdue: u.overdue, maxOverdue: u.maxOverdue, escalation: ESCALATION_LABELS[u.escalation] || '—' }));

  const byIndicator = new Map<string, { indicator: string; opened: number; closed: number }>();
  for (const p of input.problems) {
    const row = byIndicator.get(p.indicator) ?? { indicator: p.indicator, opened: 0, closed: 0 };
    byIndicator.set(p.indicator, row);
    if (inWindow(p.firstSeen)) row.opened++;
    if (p.state === 'closed' && inWindow(p.closedOn)) row.closed++;
  }
  const changes = [...byIndicator.values()].filter((r) => r.opened + r.closed > 0).sort((a, b) => b.opened - a.opened || b.closed - a.closed);

  const totals = {
    open: count(input.problems, (p) => p.state === 'open'),
    assigned: count(input.problems, (p) => p.state === 'assigned'),
    awaiting: count(input.problems, (p) => p.state === 'pending_verification'),
    overdue: count(input.problems, (p) => overdueDays(p) > 0),
    fresh: count(input.problems, (p) => inWindow(p.firstSeen)),
    closed: count(input.problems, (p) => p.state === 'closed' && inWindow(p.closedOn)),
    live: count(input.problems, live),
    letters: input.lettersIssued,
  };
  const { year, week } = weekParts(input.week);
  const shownUnits = units.slice(0, TABLE_ROWS);
  return {
    week: input.week,
    weekLabel: `${year}年第${week}周`,
    date: chineseDate(letterDay),
    period: `${chineseMonthDay(window.from)}至${chineseMonthDay(window.to)}`,
    dataDay: input.dataDay ?? '',
    bureau: input.bureau,
    totals,
    units: shownUnits,
    hasUnits: shownUnits.length > 0,
    unitsLeftOut: units.length > TABLE_ROWS ? `另有 ${units.length - TABLE_ROWS} 个单位未列出，详见问题台账。` : '',
    overdueRanking,
    hasOverdue: overdueRanking.length > 0,
    changes,
    hasChanges: changes.length > 0,
    indicators: indicatorLines(input.standings),
    trend: input.trend.map((t) => ({ ...t, label: `第${weekParts(t.week).week}周` })),
    checkpoints: (input.checkpoints ?? []).map((c) => ({ ...c, headShort: c.head.slice(0, 16) })),
    checkpointsNote:
      input.checkpoints === undefined
        ? '未启用台账检查点（duban.yaml 的 audit.checkpoints）。'
        : input.checkpoints.length === 0
          ? '本周没有生成台账检查点，请检查守护进程和签名密钥。'
          : '',
  };
}

export type SummaryView = ReturnType<typeof composeSummary>;

function count<T>(xs: T[], f: (x: T) => boolean): number {
  return xs.reduce((n, x) => n + (f(x) ? 1 : 0), 0);
}

/** Per indicator: how many units miss the 预警值 and the worst of them, and the average now against a week before. */
function indicatorLines(standings: Array<IndicatorStanding & { unit: string }>) {
  const groups = new Map<string, Array<IndicatorStanding & { unit: string }>>();
  for (const s of standings) {
    const group = groups.get(s.indicator);
    if (group) group.push(s);
    else groups.set(s.indicator, [s]);
  }
  return [...groups.values()].map((rows) => {
    const { indicator, measure, direction, alert } = rows[0]!;
    const reported = rows.filter((r) => r.latest !== null);
    const worseFirst = (a: number, b: number) => (direction === 'higher' ? a - b : b - a);
    const breaching = alert === null ? [] : reported.filter((r) => worseFirst(Number(r.latest), Number(alert)) < 0);
    breaching.sort((a, b) => worseFirst(Number(a.latest), Number(b.latest)));
    const now = mean(reported.map((r) => Number(r.latest)));
    const before = mean(rows.filter((r) => r.weekAgo !== null).map((r) => Number(r.weekAgo)));
    const change = now !== null && before !== null ? Math.round((now - before) * 100) / 100 : null;
    return {
      indicator,
      alert: alert === null ? '—' : formatValue(alert, measure),
      reported: reported.length,
      breaching: breaching.length,
      hasBreaching: breaching.length > 0,
      worst: breaching.slice(0, 3).map((r) => `${r.unit} ${formatValue(r.latest!, measure)}`).join('、') || '—',
      average: now === null ? '—' : formatValue(Math.round(now * 100) / 100, measure),
      change: change === null ? '—' : change === 0 ? '持平' : `${change > 0 ? '+' : ''}${change}`,
      worse: change !== null && (direction === 'higher' ? change < 0 : change > 0),
    };
  });
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}
