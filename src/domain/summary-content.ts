import { formatValue } from './anomaly-explanation';
import type { Day } from './day';
import { mondayOf, type IsoWeek } from './iso-week';
import type { Bureau, LetterProblem } from './letter-content';
import { chineseDate, documentDay, periodText, weeksLabel } from './letter-schedule';
import { ESCALATION_LABELS, EscalationLevel, overdueWorkingDays } from './problem-deadline';
import { hasRunningDeadline, isLive, STATE_LABELS } from './problem-state';
import type { WorkingCalendar } from './working-calendar';

/**
 * One indicator across the units on the latest data day: the city's value and the week before (or, without a city row,
 * the units' averages), how many units reported and how many miss the 预警值, and the worst of those (up to 3). Counted
 * in the database, where every unit's row is, not here.
 */
export interface IndicatorOverview {
  indicator: string;
  measure: string;
  direction: 'higher' | 'lower';
  alert: string | null;
  /** The value is the city's (its row exists), else the units' average. */
  fromCity: boolean;
  latest: number | null;
  weekAgo: number | null;
  reported: number;
  breaching: number;
  worst: Array<{ unit: string; latest: string }>;
}

export interface SummaryInput {
  week: IsoWeek;
  letterDay: Day;
  window: { from: Day; to: Day };
  dataDay: Day | null;
  bureau: Bureau;
  /**
   * Live problems, those closed in the window and those first seen in it, each with the unit that answers for it and
   * whether that unit is written to (a letter); those of the city or the bureau itself are the director's to take up.
   */
  problems: Array<LetterProblem & { owner: string; ownerWritten: boolean }>;
  lettersIssued: number;
  /** Each indicator as the units stand on it (LetterRepository.indicatorOverview). */
  indicators: IndicatorOverview[];
  /** The city as a whole (the unit of kind city), whose value is the city's; none, the units' average stands in. */
  city?: string | undefined;
  /** Problems opened and closed in each of the last weeks, oldest first. */
  trend: Array<{ week: IsoWeek; opened: number; closed: number }>;
  calendar: WorkingCalendar;
  /** Working days overdue from which each step of the ladder is reached (problems.escalation). */
  ladder: Record<Exclude<EscalationLevel, 'none'>, number>;
  /**
   * The ledger's signed checkpoints of the week (when, in the bureau's zone), so the director's copy of the summary is
   * one more record of the ledger's head outside the database; `undefined` when checkpoints are not configured.
   */
  checkpoints?: Array<{ when: string; events: number; head: string; key: string }>;
}

/** How many rows of a table the director reads before the rest is summed up in one line. */
const TABLE_ROWS = 30;

type Counts = { fresh: number; open: number; assigned: number; awaiting: number; overdue: number; maxOverdue: number; closed: number; live: number } & Record<
  Exclude<EscalationLevel, 'none'>,
  number
>;

const zero = (): Counts => ({ fresh: 0, open: 0, assigned: 0, awaiting: 0, overdue: 0, maxOverdue: 0, closed: 0, live: 0, remind: 0, supervise: 0, notify: 0 });

/**
 * The director's 调度会材料: the week the data covers (stated once), every unit's counts with the city total, the
 * overdue ranking with each unit's escalations by level and the 通报 items named, the overdue and closure rates, each
 * indicator's city value against its 预警值, the problems no letter goes to, and the trend — bars drawn as table cells.
 */
export function composeSummary(input: SummaryInput) {
  const { calendar, letterDay, window } = input;
  const on = (d: Day) => documentDay(d, letterDay);
  const inWindow = (d: Day | null) => d !== null && d >= window.from && d <= window.to;
  const overdueDays = (p: LetterProblem) => (hasRunningDeadline(p.state) && p.deadline ? overdueWorkingDays(calendar, p.deadline, letterDay) : 0);

  const total = zero();
  const byUnit = new Map<string, Counts & { unit: string }>();
  for (const p of input.problems) {
    const u = byUnit.get(p.owner) ?? { unit: p.owner, ...zero() };
    byUnit.set(p.owner, u);
    for (const c of [u, total]) {
      if (inWindow(p.firstSeen)) c.fresh++;
      if (p.state === 'open') c.open++;
      if (p.state === 'assigned') c.assigned++;
      if (p.state === 'pending_verification') c.awaiting++;
      if (isLive(p.state)) c.live++;
      if (p.state === 'closed' && inWindow(p.closedOn)) c.closed++;
      const late = overdueDays(p);
      if (late > 0) {
        c.overdue++;
        c.maxOverdue = Math.max(c.maxOverdue, late);
        if (p.escalation !== 'none') c[p.escalation]++;
      }
    }
  }
  const units = [...byUnit.values()].filter((u) => u.live + u.fresh + u.closed > 0);
  units.sort((a, b) => b.overdue - a.overdue || b.live - a.live || a.unit.localeCompare(b.unit, 'zh'));
  const maxLive = Math.max(0, ...units.map((u) => u.live));
  const overdueUnits = units.filter((u) => u.overdue > 0).sort((a, b) => b.overdue - a.overdue || b.maxOverdue - a.maxOverdue || a.unit.localeCompare(b.unit, 'zh'));
  const maxOverdue = Math.max(0, ...overdueUnits.map((u) => u.overdue));
  const overdueRanking = overdueUnits.slice(0, 10).map((u, k) => ({
    rank: k + 1,
    unit: u.unit,
    overdue: u.overdue,
    maxOverdue: u.maxOverdue,
    remind: u.remind,
    supervise: u.supervise,
    notify: u.notify,
    levels: levelsText(u),
    bar: barWidth(u.overdue, maxOverdue),
  }));

  // Named, worst first: what the meeting is to 通报.
  const notified = input.problems
    .filter((p) => p.escalation === 'notify' && overdueDays(p) > 0)
    .map((p) => ({ p, late: overdueDays(p) }))
    .sort((a, b) => b.late - a.late || a.p.id - b.p.id)
    .map(({ p, late }, k) => ({ seq: k + 1, id: p.id, unit: p.owner, indicator: p.indicator, situation: p.situation, letterNo: p.letterNo ?? '', deadline: p.deadline ? on(p.deadline) : '', overdue: late }));

  // Problems of units no letter goes to (the city, the bureau itself): the director assigns them.
  const unwritten = input.problems
    .filter((p) => !p.ownerWritten && isLive(p.state))
    .map((p, k) => ({ seq: k + 1, id: p.id, unit: p.owner, indicator: p.indicator, situation: p.situation, foundOn: on(p.firstSeen), state: STATE_LABELS[p.state] }));

  const byIndicator = new Map<string, { indicator: string; opened: number; closed: number }>();
  for (const p of input.problems) {
    const row = byIndicator.get(p.indicator) ?? { indicator: p.indicator, opened: 0, closed: 0 };
    byIndicator.set(p.indicator, row);
    if (inWindow(p.firstSeen)) row.opened++;
    if (p.state === 'closed' && inWindow(p.closedOn)) row.closed++;
  }
  const changes = [...byIndicator.values()].filter((r) => r.opened + r.closed > 0).sort((a, b) => b.opened - a.opened || b.closed - a.closed);

  const running = count(input.problems, (p) => hasRunningDeadline(p.state));
  const rates = {
    overdue: percent(total.overdue, running),
    closure: percent(total.closed, total.closed + total.live),
  };
  const weekLabel = weeksLabel(window);
  const shownUnits = units.slice(0, TABLE_ROWS).map((u) => ({ ...u, bar: barWidth(u.live, maxLive) }));
  const maxTrend = Math.max(0, ...input.trend.flatMap((t) => [t.opened, t.closed]));
  const quiet = total.live + total.fresh + total.closed === 0;
  const nothing = quiet && input.dataDay === null;
  return {
    week: input.week,
    weekLabel,
    date: chineseDate(letterDay),
    period: periodText(window, letterDay),
    dataDay: input.dataDay ? chineseDate(input.dataDay) : '',
    bureau: input.bureau,
    issuer: `${input.bureau.name}${input.bureau.office}`,
    /** One line instead of empty tables: a week before any data or problem. */
    nothing: nothing ? `${weekLabel}（${periodText(window, letterDay)}）尚无监测数据，无在办问题，本期无督办事项。` : '',
    report: !nothing,
    /** No problem to speak of, but data to show: one line, then the indicators. */
    quiet: quiet ? '本期无在办问题，未发现新问题，无逾期问题。' : '',
    busy: !quiet,
    totals: { ...total, letters: input.lettersIssued, running },
    rates,
    ladder: (['remind', 'supervise', 'notify'] as const).map((l) => `逾期${input.ladder[l]}个工作日起${ESCALATION_LABELS[l]}`).join('，'),
    units: shownUnits,
    hasUnits: shownUnits.length > 0,
    unitsLeftOut: units.length > TABLE_ROWS ? `另有${units.length - TABLE_ROWS}个单位未列出，详见问题台账。` : '',
    overdueRanking,
    hasOverdue: overdueRanking.length > 0,
    notified,
    hasNotified: notified.length > 0,
    unwritten,
    hasUnwritten: unwritten.length > 0,
    changes,
    hasChanges: changes.length > 0,
    cityLabel: input.city ? '全市' : '各单位平均',
    indicators: indicatorLines(input.indicators, input.city),
    hasIndicators: input.indicators.length > 0,
    trend: input.trend.map((t) => ({ ...t, label: weeksLabel({ from: mondayOf(t.week), to: mondayOf(t.week) }), openedBar: barWidth(t.opened, maxTrend), closedBar: barWidth(t.closed, maxTrend) })),
    checkpoints: (input.checkpoints ?? []).map((c) => ({ ...c, headShort: c.head.slice(0, 16) })),
    checkpointsNote:
      input.checkpoints === undefined
        ? '未启用台账检查点（duban.yaml 的 audit.checkpoints）。'
        : input.checkpoints.length === 0
          ? '本周没有生成台账检查点，请检查守护进程和签名密钥。'
          : '',
  };
}

/** 提醒1项、督办2项、通报1项 — the unit's overdue problems by the step of the ladder they are on. */
function levelsText(c: Counts): string {
  const parts = (['remind', 'supervise', 'notify'] as const).filter((l) => c[l] > 0).map((l) => `${ESCALATION_LABELS[l]}${c[l]}项`);
  const below = c.overdue - c.remind - c.supervise - c.notify;
  return [...(below > 0 ? [`尚未提醒${below}项`] : []), ...parts].join('、');
}

/**
 * A bar's width in per cent of its cell, the widest 80 so that the figure beside it keeps its room; at least 2 so that
 * one is still seen.
 */
function barWidth(n: number, max: number): number {
  return n <= 0 || max <= 0 ? 0 : Math.max(2, Math.round((80 * n) / max));
}

function percent(n: number, of: number): string {
  return of === 0 ? '—' : `${Math.round((1000 * n) / of) / 10}%`;
}

export type SummaryView = ReturnType<typeof composeSummary>;

function count<T>(xs: T[], f: (x: T) => boolean): number {
  return xs.reduce((n, x) => n + (f(x) ? 1 : 0), 0);
}

/** Per indicator: the city's value now and its change on last week, how many units miss the 预警值 and the worst of them. */
function indicatorLines(indicators: IndicatorOverview[], city: string | undefined) {
  return indicators.map((o) => {
    const { indicator, measure, direction, alert, latest: now, weekAgo: before } = o;
    const worseFirst = (a: number, b: number) => (direction === 'higher' ? a - b : b - a);
    const change = now !== null && before !== null ? Math.round((now - before) * 100) / 100 : null;
    return {
      indicator,
      alert: alert === null ? '—' : formatValue(alert, measure),
      value: now === null ? '—' : `${formatValue(Math.round(now * 100) / 100, measure)}${o.fromCity || city === undefined ? '' : '（各单位平均）'}`,
      /** Worse than the 预警值 in the indicator's direction: under it, or over it for one where lower is better. */
      missesAlert: now !== null && alert !== null && worseFirst(now, Number(alert)) < 0,
      reported: o.reported,
      breaching: o.breaching,
      hasBreaching: o.breaching > 0,
      worst: o.worst.map((r) => `${r.unit} ${formatValue(r.latest, measure)}`).join('、') || '—',
      change: change === null ? '—' : change === 0 ? '持平' : `${change > 0 ? '+' : ''}${change}${measure === '%' ? '个百分点' : ''}`,
      worse: change !== null && (direction === 'higher' ? change < 0 : change > 0),
    };
  });
}

