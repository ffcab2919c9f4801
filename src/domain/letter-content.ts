import { formatValue } from './anomaly-explanation';
import type { Day } from './day';
import { weekParts, type IsoWeek } from './iso-week';
import { chineseDate, chineseMonthDay } from './letter-schedule';
import { ESCALATION_LABELS, EscalationLevel, overdueWorkingDays } from './problem-deadline';
import { deadlineOnAssignment, ProblemState } from './problem-state';
import type { WorkingCalendar } from './working-calendar';

/** The bureau as its letters name it: who writes, how it signs, whom to answer. */
export interface Bureau {
  name: string;
  /** The line above the date where the seal goes, e.g. 宣城市数据资源局（代章）. */
  seal: string;
  /** The office that runs supervision, e.g. 督查科. */
  office: string;
  contact: { name: string; phone?: string; email?: string };
}

/** A problem as a letter shows it. */
export interface LetterProblem {
  id: number;
  indicator: string;
  /** Where the data went wrong; the owner of a 未报送 problem may be the data-source department instead. */
  unit: string;
  category: string;
  state: ProblemState;
  firstSeen: Day;
  /** The latest anomaly's explanation. */
  situation: string;
  assignedOn: Day | null;
  deadline: Day | null;
  /** The letter that assigned it, if a letter did. */
  letterNo: string | null;
  closedOn: Day | null;
  escalation: EscalationLevel;
  dataConfirmed: boolean;
  signedOffBy: string | null;
  respondedOn: Day | null;
}

/** One indicator for one unit on the latest data day, with what a week before and its peers say. */
export interface IndicatorStanding {
  indicator: string;
  /** The indicator's unit of measure, '%' for rates. */
  measure: string;
  direction: 'higher' | 'lower';
  latest: string | null;
  weekAgo: string | null;
  alert: string | null;
  /** 1 = best among units of the same kind that reported that day. */
  rank: number | null;
  peers: number;
}

export interface LetterInput {
  week: IsoWeek;
  letterNo: string;
  letterDay: Day;
  window: { from: Day; to: Day };
  /** The data day the indicator table shows; null when nothing was reported yet. */
  dataDay: Day | null;
  unit: { code: string; name: string };
  bureau: Bureau;
  problems: LetterProblem[];
  indicators: IndicatorStanding[];
  calendar: WorkingCalendar;
  /** Working days to fix by category (config problems.deadlines). */
  deadlines: Record<string, number>;
}

const CATEGORY_LABELS: Record<string, string> = { simple: '一般问题', cross_department: '跨部门问题', complex: '复杂问题' };

/**
 * Everything a 交办函 says, worked out and formatted; the template only places it. Also the decision the letter
 * carries: which 待交办 problems it assigns and by when.
 */
export function composeLetter(input: LetterInput) {
  const { calendar, letterDay } = input;
  const fresh = input.problems.filter((p) => p.state === 'open');
  const outstanding = input.problems.filter((p) => p.state === 'assigned');
  const awaiting = input.problems.filter((p) => p.state === 'pending_verification');
  const closed = input.problems.filter((p) => p.state === 'closed' && p.closedOn !== null && p.closedOn >= input.window.from && p.closedOn <= input.window.to);

  // The deadline printed is the one the assignment will store: both come from the domain's one rule.
  const assignments = fresh.map((p) => ({
    problemId: p.id,
    category: p.category,
    workingDays: input.deadlines[p.category]!,
    deadline: deadlineOnAssignment({ calendar, deadlines: input.deadlines }, p.category, letterDay),
  }));

  const newRows = fresh.map((p, k) => ({
    seq: k + 1,
    id: p.id,
    indicator: p.indicator,
    situation: p.situation,
    foundOn: p.firstSeen,
    category: CATEGORY_LABELS[p.category] ?? p.category,
    workingDays: assignments[k]!.workingDays,
    deadline: assignments[k]!.deadline,
  }));
  const outstandingRows = outstanding.map((p, k) => {
    const overdue = p.deadline ? overdueWorkingDays(calendar, p.deadline, letterDay) : 0;
    return {
      seq: k + 1,
      id: p.id,
      indicator: p.indicator,
      situation: p.situation,
      assigned: [p.letterNo, p.assignedOn].filter(Boolean).join(' '),
      deadline: p.deadline ?? '',
      overdue: overdue > 0,
      status: overdue > 0 ? `逾期 ${overdue} 个工作日${p.escalation !== 'none' ? `（已${ESCALATION_LABELS[p.escalation]}）` : ''}` : remaining(calendar, letterDay, p.deadline),
    };
  });
  const awaitingRows = awaiting.map((p, k) => ({
    seq: k + 1,
    id: p.id,
    indicator: p.indicator,
    situation: p.situation,
    respondedOn: p.respondedOn ?? '',
    progress: [p.dataConfirmed ? '数据已确认恢复' : '数据尚待确认恢复', p.signedOffBy ? `${p.signedOffBy} 已核验` : '待核验签字'].join('，'),
  }));
  const closedRows = closed.map((p, k) => ({ seq: k + 1, id: p.id, indicator: p.indicator, situation: p.situation, closedOn: p.closedOn!, checker: p.signedOffBy ?? '' }));
  const indicatorRows = input.indicators.filter((s) => s.latest !== null || s.weekAgo !== null).map(standingRow);
  const overdueCount = outstandingRows.filter((r) => r.overdue).length;
  const { year, week } = weekParts(input.week);

  return {
    /** 待交办 problems this letter assigns, with their deadlines. */
    assignments,
    /** Whether anything is still open for the unit: without it no letter goes unless configured otherwise. */
    hasOpenProblems: fresh.length + outstanding.length + awaiting.length > 0,
    problemIds: [...fresh, ...outstanding, ...awaiting, ...closed].map((p) => p.id),
    view: {
      letterNo: input.letterNo,
      week: input.week,
      weekLabel: `${year}年第${week}周`,
      date: chineseDate(letterDay),
      period: `${chineseMonthDay(input.window.from)}至${chineseMonthDay(input.window.to)}`,
      dataDay: input.dataDay ?? '',
      unit: input.unit,
      bureau: input.bureau,
      counts: { new: newRows.length, outstanding: outstandingRows.length, overdue: overdueCount, awaiting: awaitingRows.length, closed: closedRows.length },
      summary: summaryLine(newRows.length, outstandingRows.length, overdueCount, awaitingRows.length, closedRows.length),
      newProblems: newRows,
      hasNew: newRows.length > 0,
      outstanding: outstandingRows,
      hasOutstanding: outstandingRows.length > 0,
      awaiting: awaitingRows,
      hasAwaiting: awaitingRows.length > 0,
      closed: closedRows,
      hasClosed: closedRows.length > 0,
      indicators: indicatorRows,
      hasIndicators: indicatorRows.length > 0,
    },
  };
}

export type ComposedLetter = ReturnType<typeof composeLetter>;
export type LetterView = ComposedLetter['view'];

function remaining(calendar: WorkingCalendar, today: Day, deadline: Day | null): string {
  if (!deadline) return '';
  const left = calendar.workingDaysBetween(today, deadline);
  return left === 0 ? '今日到期' : `剩余 ${left} 个工作日`;
}

function summaryLine(fresh: number, outstanding: number, overdue: number, awaiting: number, closed: number): string {
  const parts = [`新交办问题 ${fresh} 项`, `整改中 ${outstanding} 项${overdue > 0 ? `（其中逾期 ${overdue} 项）` : ''}`, `待核验 ${awaiting} 项`, `本周销号 ${closed} 项`];
  return parts.join('，');
}

/** A row of the indicator table: value, 预警值, change over the week (worse marked), rank among peers. */
export function standingRow(s: IndicatorStanding) {
  const change = s.latest !== null && s.weekAgo !== null ? round(Number(s.latest) - Number(s.weekAgo)) : null;
  const breaches = s.latest !== null && s.alert !== null && (s.direction === 'higher' ? Number(s.latest) < Number(s.alert) : Number(s.latest) > Number(s.alert));
  return {
    indicator: s.indicator,
    latest: s.latest === null ? '未报送' : formatValue(s.latest, s.measure),
    alert: s.alert === null ? '—' : formatValue(s.alert, s.measure),
    breaches,
    change: change === null ? '—' : change === 0 ? '持平' : `${change > 0 ? '+' : ''}${change}`,
    worse: change !== null && (s.direction === 'higher' ? change < 0 : change > 0),
    rank: s.rank === null ? '—' : `${s.rank}/${s.peers}`,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
