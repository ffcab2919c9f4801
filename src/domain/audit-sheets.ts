import { describeFact, FactPart, formatValue } from './anomaly-explanation';
import type { Day } from './day';
import { categoryLabel, SEVERITY_LABELS } from './labels';
import type { ProblemEvent } from './ledger-events';
import { LEDGER_STATUS_LABELS, ledgerStatus } from './ledger-status';
import { chineseDate } from './letter-schedule';
import { ESCALATION_LABELS, EscalationLevel, isAbove, overdueWorkingDays } from './problem-deadline';
import { hasRunningDeadline, ProblemState } from './problem-state';
import { CalendarGapError, type WorkingCalendar } from './working-calendar';

/**
 * The 台账 columns in the order auditors keep them, with how a spreadsheet lays each out: `date` columns hold a day
 * (stored as a date cell) or, for a problem with a history, the list of its days (text); `wrap` ones long text.
 */
export const LEDGER_COLUMNS = [
  { header: '序号', width: 5 },
  { header: '台账编号', width: 7 },
  { header: '问题来源', width: 13, wrap: true },
  { header: '责任单位', width: 11, wrap: true },
  { header: '单位', width: 9, wrap: true },
  { header: '指标', width: 11, wrap: true },
  { header: '问题描述', width: 34, wrap: true },
  { header: '发现日期', width: 11, date: true },
  { header: '类别', width: 8, wrap: true },
  { header: '严重程度', width: 6, wrap: true },
  { header: '交办函号', width: 22, wrap: true },
  { header: '交办日期', width: 11, date: true },
  { header: '整改时限', width: 11, date: true },
  { header: '逾期工作日', width: 6, wrap: true },
  { header: '督办等级', width: 6, wrap: true },
  { header: '整改措施', width: 28, wrap: true },
  { header: '佐证材料', width: 16, wrap: true },
  { header: '核验人及结论', width: 16, wrap: true },
  { header: '销号日期', width: 13, date: true, wrap: true },
  { header: '重开次数', width: 6, wrap: true },
  { header: '状态', width: 7 },
] as const;

export const LEDGER_HEADERS: string[] = LEDGER_COLUMNS.map((c) => c.header);

/** The ledger events a 台账 row tells a problem's history from: every letter, reply, check, closing and reopening. */
export const LEDGER_HISTORY_TYPES = [
  'problem_assigned',
  'problem_responded',
  'problem_verified',
  'problem_sent_back',
  'problem_closed',
  'problem_reopened',
  'problem_escalated',
] as const satisfies ReadonlyArray<ProblemEvent['type']>;

export type LedgerHistoryEvent = Extract<ProblemEvent, { type: (typeof LEDGER_HISTORY_TYPES)[number] }> & { actor: string };

export interface LedgerSheetInput {
  id: number;
  first_seen: Day;
  kind: 'value' | 'missing';
  category: string;
  /** The worst of its anomalies'. */
  severity: 'warning' | 'major';
  /** The names of the rules that fired on it. */
  rule_names: string[];
  indicator: string;
  /** What its rules found on its first day (发现日期). */
  facts: FactPart[] | null;
  /** The series' value that day and the 预警值 it was judged against, with the indicator's unit of measure. */
  value: string | null;
  alert: string | null;
  measure: string;
  unit: string;
  owner: string;
  /** The current assignment (none since a reopening until the next one), and the letter that made it. */
  assigned_on: Day | null;
  letter_no: string | null;
  deadline: Day | null;
  escalation: EscalationLevel;
  reopen_count: number;
  closed_on: Day | null;
  state: ProblemState;
  /** Its history events, in ledger order. */
  history: LedgerHistoryEvent[];
}

/** What an export is: which day it is as of, by which calendar, for whom, narrowed how. */
export interface LedgerSheetView {
  asOf: Day;
  calendar: WorkingCalendar;
  bureau: string;
  by: string;
  /** The filter said in Chinese (src/domain/ledger-filter.ts); empty for the whole 台账. */
  filterText: string;
}

/** The 台账 as a table: a title and an as-of line above the header row, one row per problem. */
export function ledgerTable(rows: readonly LedgerSheetInput[], view: LedgerSheetView) {
  const asOf = [`截至 ${chineseDate(view.asOf)}`, `共 ${rows.length} 条`, `导出人 ${view.by}`, ...(view.filterText ? [`筛选：${view.filterText}`] : [])];
  if (!view.calendar.covers(view.asOf)) asOf.push(`工作日历缺少 ${view.asOf.slice(0, 4)} 年，逾期工作日未计算，逾期按自然日判断`);
  return {
    title: '问题台账',
    heading: [`${view.bureau} 政务服务指标问题台账`, asOf.join(' · ')],
    headers: LEDGER_HEADERS,
    columns: LEDGER_COLUMNS,
    rows: rows.map((p, k) => ledgerRow(p, k + 1, view.asOf, view.calendar)),
  };
}

export function ledgerRow(p: LedgerSheetInput, seq: number, asOf: Day, calendar: WorkingCalendar): Array<string | number | null> {
  const of = <T extends LedgerHistoryEvent['type']>(type: T) => p.history.filter((e): e is Extract<LedgerHistoryEvent, { type: T }> => e.type === type);
  const overdue = hasRunningDeadline(p.state) && p.deadline !== null ? overdueOn(calendar, p.deadline, asOf) : 0;
  return [
    seq,
    p.id,
    p.kind === 'missing' ? '数据未报送' : p.rule_names.join('、') || '指标异常',
    p.owner,
    p.unit,
    p.indicator,
    finding(p),
    p.first_seen,
    categoryLabel(p.category),
    SEVERITY_LABELS[p.severity],
    list(of('problem_assigned').map((e) => `${e.payload.letterNo ?? '人工交办'}（${e.payload.day}）`), '；'),
    p.assigned_on,
    p.deadline,
    overdue !== null && overdue > 0 ? overdue : null,
    ESCALATION_LABELS[highestStep(p)] || null,
    list(of('problem_responded').map((e) => `${e.payload.measures}（${e.payload.day} 反馈）`), '\n'),
    list(evidence(of('problem_responded')), '；'),
    list(p.history.flatMap(verdict), '\n'),
    closings(p.history),
    p.reopen_count,
    LEDGER_STATUS_LABELS[ledgerStatus(p, overdue ?? (p.deadline !== null && p.deadline < asOf ? 1 : 0))],
  ];
}

/**
 * Working days past the deadline on the as-of day; null when the calendar does not reach that day. The 台账 is the
 * auditors' record and is exported whatever the calendar holds: the column is left blank and the as-of line says why.
 */
function overdueOn(calendar: WorkingCalendar, deadline: Day, asOf: Day): number | null {
  try {
    return overdueWorkingDays(calendar, deadline, asOf);
  } catch (err) {
    if (err instanceof CalendarGapError) return null;
    throw err;
  }
}

/**
 * What the rules found on 发现日期, with the value beside its 预警值: a rule that fired on a fall or a rank does not
 * say the 预警值, and it is what an auditor weighs the value by.
 */
export function finding(p: Pick<LedgerSheetInput, 'facts' | 'value' | 'alert' | 'measure' | 'indicator'>): string {
  const said = p.facts?.length ? describeFact(p.facts) : '';
  const against = p.value !== null && p.alert !== null && !said.includes('预警值') ? `实际值 ${formatValue(p.value, p.measure)}，预警值 ${formatValue(p.alert, p.measure)}` : '';
  return [said, against].filter(Boolean).join('；') || p.indicator;
}

/** The highest step of the ladder it ever reached: a new assignment starts the ladder again, the 台账 keeps the worst. */
function highestStep(p: LedgerSheetInput): EscalationLevel {
  let top = p.escalation;
  for (const e of p.history) if (e.type === 'problem_escalated' && isAbove(e.payload.level, top)) top = e.payload.level;
  return top;
}

function evidence(replies: ReadonlyArray<Extract<LedgerHistoryEvent, { type: 'problem_responded' }>>): string[] {
  const named = replies.flatMap((e) => [...(e.payload.evidence ?? []), ...(e.payload.evidenceFiles ?? []).map((f) => `${f.name}（SHA-256 ${f.sha256.slice(0, 12)}…）`)]);
  return [...new Set(named)];
}

/** Each sign-off with its checker and note, and each reply sent back with who sent it and why, in order. */
function verdict(e: LedgerHistoryEvent): string[] {
  if (e.type === 'problem_verified') return [`${e.payload.by}${e.payload.note ? `：${e.payload.note}` : ' 核验签字'}（${e.payload.day}）`];
  if (e.type === 'problem_sent_back') return [`${e.actor} 退回整改：${e.payload.reason}（${e.payload.day}）`];
  return [];
}

/**
 * 销号日期: the day, when it was closed once and never reopened (a date in a spreadsheet); otherwise every closing and
 * reopening in order, so that a reopened problem shows its first closing too.
 */
function closings(history: readonly LedgerHistoryEvent[]): string | null {
  const steps = history.flatMap((e) => (e.type === 'problem_closed' ? [`${e.payload.day} 销号`] : e.type === 'problem_reopened' ? [`${e.payload.day} 重开`] : []));
  const closed = history.filter((e) => e.type === 'problem_closed');
  if (steps.length === 1 && closed.length === 1) return closed[0]!.payload.day;
  return list(steps, '；');
}

function list(items: readonly string[], separator: string): string | null {
  return items.length > 0 ? items.join(separator) : null;
}
