import type { DubanConfig } from '../config/load-config';
import { useAnalyticSettings } from '../db/analytic-settings';
import type { Db } from '../db/database';
import { inTransaction } from '../db/transactions';
import { describeFact } from '../domain/anomaly-explanation';
import { addDays, Day, dayIn } from '../domain/day';
import type { IsoWeek } from '../domain/iso-week';
import type { IndicatorStanding, LetterProblem } from '../domain/letter-content';
import type { IndicatorOverview } from '../domain/summary-content';
import { letterDay, reportingWindow } from '../domain/letter-schedule';
import type { WorkingCalendar } from '../domain/working-calendar';
import { groupBy } from '../domain/group-by';
import { LetterRepository, LetterUnit, StandingRow, WeekProblemRow } from '../repositories/letter.repository';

/** What one week's letters and summary are made from, read once for every unit. */
export interface WeekData {
  week: IsoWeek;
  letterDay: Day;
  window: { from: Day; to: Day };
  dataDay: Day | null;
  units: LetterUnit[];
  problems: Map<string, WeekProblemRow[]>;
}

/**
 * Reads a week as its letters see it: the letter day (dated the day they go out: on the letter day, or later when
 * caught up, so deadlines never count from a day the unit did not have the letter), the week reported on, the latest
 * data day, the units and their problems. `unitCode` narrows it to one unit. Standings are read apart
 * (`readStandings`), for the units that need them.
 */
export async function readWeek(
  db: Db,
  config: Pick<DubanConfig, 'timezone' | 'letters'>,
  calendar: WorkingCalendar,
  now: (() => Date) | undefined,
  week: IsoWeek,
  unitCode?: string,
): Promise<WeekData> {
  const weekday = config.letters.weekday;
  const today = dayIn(config.timezone, now?.() ?? new Date());
  const scheduled = letterDay(calendar, week, weekday);
  const day = today > scheduled ? today : scheduled;
  const window = reportingWindow(calendar, week, weekday);
  const repo = new LetterRepository(db);
  const dataDay = await repo.latestDataDay(day);
  const [units, problems] = await Promise.all([repo.units(unitCode), repo.weekProblems(window.from, window.to, unitCode)]);
  return {
    week,
    letterDay: day,
    window,
    dataDay,
    units,
    problems: groupBy(problems, (p) => p.owner_code),
  };
}

/**
 * The standings on the week's data day (each unit's value on each indicator, the week before and its rank among its
 * kind) by unit: of the units named, or of every unit. A letter needs its own unit's; ranks are taken among all.
 */
export async function readStandings(db: Db, data: WeekData, unitCodes?: readonly string[]): Promise<Map<string, StandingRow[]>> {
  const dataDay = data.dataDay;
  if (!dataDay || unitCodes?.length === 0) return new Map();
  const rows = await analytic(db, (repo) => repo.standings(dataDay, addDays(dataDay, -7), unitCodes));
  return groupBy(rows, (s) => s.unit_code);
}

/** Each indicator across the units on the week's data day (the director's summary). */
export async function readIndicatorOverview(db: Db, data: WeekData, city: string | undefined): Promise<IndicatorOverview[]> {
  const dataDay = data.dataDay;
  if (!dataDay) return [];
  return analytic(db, (repo) => repo.indicatorOverview(dataDay, addDays(dataDay, -7), city ?? null));
}

/** Both read a day's every value (ranked, or counted): without JIT (seconds of compiling at national scale), in memory. */
function analytic<T>(db: Db, read: (repo: LetterRepository) => Promise<T>): Promise<T> {
  return inTransaction(db, async (tx) => {
    await useAnalyticSettings(tx);
    return read(new LetterRepository(tx));
  });
}

export function letterProblem(p: WeekProblemRow): LetterProblem {
  return {
    id: p.id,
    indicator: p.indicator,
    unit: p.unit,
    category: p.category,
    state: p.state,
    firstSeen: p.first_seen,
    situation: (p.facts && describeFact(p.facts)) || `${p.unit} ${p.indicator}`,
    assignedOn: p.assigned_on,
    deadline: p.deadline,
    letterNo: p.letter_no,
    closedOn: p.closed_on,
    escalation: p.escalation,
    dataConfirmed: p.data_confirmed,
    signedOffBy: p.signed_off_by,
    respondedOn: p.responded_on,
  };
}

export function standing(s: StandingRow): IndicatorStanding {
  return { indicator: s.indicator, measure: s.measure, direction: s.direction, latest: s.latest, weekAgo: s.week_ago, alert: s.alert, rank: s.rank, peers: s.peers };
}
