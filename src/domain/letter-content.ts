import { formatValue } from './anomaly-explanation';
import type { Day } from './day';
import { categoryLabel } from './labels';
import type { IsoWeek } from './iso-week';
import { chineseDate, documentDay, periodText, weeksLabel } from './letter-schedule';
import { ESCALATION_LABELS, EscalationLevel, overdueWorkingDays } from './problem-deadline';
import { deadlineOnAssignment, ProblemState } from './problem-state';
import type { WorkingCalendar } from './working-calendar';

/** The bureau as its letters name it: who writes, how it signs, whom to answer. */
export interface Bureau {
  name: string;
  /** The 发文机关署名 above the date, where the seal goes, e.g. 宣城市数据资源局. */
  seal: string;
  /** The office that runs supervision, e.g. 督查科; with the name, the 印发机关 of the 版记. */
  office: string;
  contact: { name: string; phone?: string | undefined; email?: string | undefined };
}

/** Whom a document is addressed to (主送机关) and copied to (抄送), from units.yaml. */
export interface Addressing {
  addressee: string;
  copyTo: string[];
}

/** A unit's signed reply link and the last day it works. */
export interface ReplyRoute {
  url: string;
  until: Day;
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
  addressing: Addressing;
  bureau: Bureau;
  /** letters.decisionClause, e.g. 经局长办公会研究，; empty for letters sent by schedule alone. */
  decisionClause: string;
  reply?: ReplyRoute | undefined;
  problems: LetterProblem[];
  indicators: IndicatorStanding[];
  calendar: WorkingCalendar;
  /** Working days to fix by category (config problems.deadlines). */
  deadlines: Record<string, number>;
}

/**
 * Everything a 交办函 says, worked out and formatted; the template only places it, in the order of GB/T 9704 (版头,
 * 标题, 主送机关, 正文, 附件说明, 署名, 成文日期, the attachments, 版记). Also the decision the letter carries: which
 * 待交办 problems it assigns and by when.
 */
export function composeLetter(input: LetterInput) {
  const { calendar, letterDay } = input;
  const on = (d: Day) => documentDay(d, letterDay);
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
    foundOn: on(p.firstSeen),
    category: categoryLabel(p.category),
    workingDays: assignments[k]!.workingDays,
    deadline: on(assignments[k]!.deadline),
  }));
  // A deadline runs on while a reply awaits its checker (the ladder too): the letter says so as the summary does.
  const lateness = (p: LetterProblem) => {
    const overdue = p.deadline ? overdueWorkingDays(calendar, p.deadline, letterDay) : 0;
    return {
      overdue: overdue > 0,
      status: overdue > 0 ? `逾期${overdue}个工作日${p.escalation !== 'none' ? `（已${ESCALATION_LABELS[p.escalation]}）` : ''}` : remaining(calendar, letterDay, p.deadline),
    };
  };
  const outstandingRows = outstanding.map((p, k) => ({
    seq: k + 1,
    id: p.id,
    indicator: p.indicator,
    situation: p.situation,
    assigned: p.letterNo && p.assignedOn ? `${p.letterNo}（${on(p.assignedOn)}）` : p.assignedOn ? `${on(p.assignedOn)}交办` : '',
    deadline: p.deadline ? on(p.deadline) : '',
    ...lateness(p),
  }));
  const awaitingRows = awaiting.map((p, k) => ({
    seq: k + 1,
    id: p.id,
    indicator: p.indicator,
    situation: p.situation,
    respondedOn: p.respondedOn ? on(p.respondedOn) : '',
    deadline: p.deadline ? on(p.deadline) : '',
    ...lateness(p),
    progress: [p.dataConfirmed ? '数据已确认恢复' : '数据尚待确认恢复', p.signedOffBy ? `${p.signedOffBy}已核验` : '待核验'].join('，'),
  }));
  const closedRows = closed.map((p, k) => ({ seq: k + 1, id: p.id, indicator: p.indicator, situation: p.situation, closedOn: on(p.closedOn!), checker: p.signedOffBy ?? '' }));
  const indicatorRows = input.indicators.filter((s) => s.latest !== null || s.weekAgo !== null).map(standingRow);
  const overdueCount = outstandingRows.filter((r) => r.overdue).length;
  const awaitingOverdue = awaitingRows.filter((r) => r.overdue).length;
  const hasProblems = newRows.length + outstandingRows.length + awaitingRows.length + closedRows.length > 0;

  // The attachments are numbered as they are present: a letter sent with nothing open carries only the indicators.
  const attachments: Array<{ no: number; title: string; first: boolean }> = [];
  const attach = (title: string) => {
    const a = { no: attachments.length + 1, title, first: attachments.length === 0 };
    attachments.push(a);
    return a;
  };
  const problemList = hasProblems ? attach(`${input.unit.name}政务服务指标问题清单`) : null;
  const indicatorTable = indicatorRows.length > 0 ? attach(`${input.unit.name}政务服务主要指标情况`) : null;

  const weekLabel = weeksLabel(input.window);
  const period = periodText(input.window, letterDay);
  const seeList = problemList ? `问题清单见附件${problemList.no}` : '';
  const seeIndicators = indicatorTable ? `主要指标情况见附件${indicatorTable.no}` : '';

  return {
    /** 待交办 problems this letter assigns, with their deadlines. */
    assignments,
    /** Whether anything is still open for the unit: without it no letter goes unless configured otherwise. */
    hasOpenProblems: fresh.length + outstanding.length + awaiting.length > 0,
    problemIds: [...fresh, ...outstanding, ...awaiting, ...closed].map((p) => p.id),
    view: {
      letterNo: input.letterNo,
      week: input.week,
      /** The week(s) the letter reports on, stated once: the number in the 文号 is the week the letter goes out. */
      weekLabel,
      period,
      title: `关于${input.unit.name}政务服务指标问题整改的交办函`,
      date: chineseDate(letterDay),
      dataDay: input.dataDay ? chineseDate(input.dataDay) : '',
      unit: input.unit,
      addressee: input.addressing.addressee,
      copyTo: input.addressing.copyTo.length > 0 ? `${input.addressing.copyTo.join('，')}。` : '',
      issuer: `${input.bureau.name}${input.bureau.office}`,
      bureau: input.bureau,
      opening: `根据${weekLabel}（${period}）政务服务指标日常监测情况，${input.decisionClause}现将你单位存在的问题交办如下，请认真核查原因、落实整改，按期反馈整改情况。`,
      counts: { new: newRows.length, outstanding: outstandingRows.length, overdue: overdueCount, awaiting: awaitingRows.length, awaitingOverdue, closed: closedRows.length },
      summary: `${summaryLine(newRows.length, outstandingRows.length, overdueCount, awaitingRows.length, awaitingOverdue, closedRows.length)}${[seeList, seeIndicators].filter(Boolean).map((s) => `；${s}`).join('')}`,
      deadlineRule: deadlineRule(input.deadlines, fresh.map((p) => p.category)),
      reply: input.reply ? { url: input.reply.url, until: chineseDate(input.reply.until) } : null,
      contact: contactLine(input.bureau),
      attachments,
      hasAttachments: attachments.length > 0,
      problemList,
      indicatorTable,
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

/** 联系人：督查科 王五，电话 0563-1234567，电子邮箱 duban@… — whatever of it the bureau configured. */
export function contactLine(bureau: Bureau): string {
  const { name, phone, email } = bureau.contact;
  return [`联系人：${name}`, phone ? `联系电话：${phone}` : '', email ? `电子邮箱：${email}` : ''].filter(Boolean).join('；');
}

/** The working days each category of the letter's new problems has, in the order of the configured categories. */
function deadlineRule(deadlines: Record<string, number>, categories: string[]): string {
  const present = Object.keys(deadlines).filter((c) => categories.includes(c));
  if (present.length === 0) return '';
  return `${present.map((c) => `${categoryLabel(c)}${deadlines[c]}个工作日`).join('、')}，自本函印发之日起按工作日计算，节假日顺延`;
}

export type ComposedLetter = ReturnType<typeof composeLetter>;
export type LetterView = ComposedLetter['view'];

function remaining(calendar: WorkingCalendar, today: Day, deadline: Day | null): string {
  if (!deadline) return '';
  const left = calendar.workingDaysBetween(today, deadline);
  return left === 0 ? '今日到期' : `剩余${left}个工作日`;
}

function summaryLine(fresh: number, outstanding: number, overdue: number, awaiting: number, awaitingOverdue: number, closed: number): string {
  const late = (n: number) => (n > 0 ? `（其中逾期${n}项）` : '');
  const parts = [`新交办问题${fresh}项`, `整改中${outstanding}项${late(overdue)}`, `待核验${awaiting}项${late(awaitingOverdue)}`, `本期销号${closed}项`];
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
