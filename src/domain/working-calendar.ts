import { addDays, Day, weekday } from './day';

/** One year of the State Council's holiday notice: days off, and weekend days that are working days (调休). */
export interface CalendarYear {
  year: number;
  notice?: string;
  holidays: ReadonlyArray<{ name: string; from: Day; to: Day }>;
  workdays: ReadonlyArray<{ day: Day; for?: string }>;
}

/** Asked about a day in a year the calendar data do not cover: guessing would put deadlines on holidays. */
export class CalendarGapError extends Error {
  constructor(readonly year: number, covered: readonly number[]) {
    super(`工作日历缺少 ${year} 年的数据（已有：${covered.join('、') || '无'}）。请在 config/calendar/ 中添加 ${year}.yaml（按国务院办公厅当年节假日安排通知）。`);
    this.name = 'CalendarGapError';
  }
}

/**
 * Working days by the official calendar: Monday to Friday unless a holiday, Saturday and Sunday only when made a
 * working day. "N working days from D" counts from the next working day, as the bureau's deadlines do: a problem
 * assigned on Monday 2026-09-28 with 5 working days is due on Saturday 2026-10-10.
 */
export class WorkingCalendar {
  private readonly holidays = new Map<Day, string>();
  private readonly workdays = new Set<Day>();
  private readonly years: number[];

  constructor(years: readonly CalendarYear[]) {
    this.years = years.map((y) => y.year).sort((a, b) => a - b);
    for (const y of years) {
      for (const h of y.holidays) for (let d = h.from; d <= h.to; d = addDays(d, 1)) this.holidays.set(d, h.name);
      for (const w of y.workdays) this.workdays.add(w.day);
    }
  }

  /** 1 January of the first year covered: where a first version of rules or thresholds starts judging. */
  firstDay(): Day {
    if (this.years.length === 0) throw new Error('工作日历为空：请在 config/calendar/ 中至少提供一年的节假日安排');
    return `${this.years[0]}-01-01`;
  }

  covers(day: Day): boolean {
    return this.years.includes(yearOf(day));
  }

  isWorkingDay(day: Day): boolean {
    this.check(day);
    if (this.workdays.has(day)) return true;
    if (this.holidays.has(day)) return false;
    const wd = weekday(day);
    return wd !== 0 && wd !== 6;
  }

  /** The holiday's name for a day off by the notice, else undefined (ordinary weekends included). */
  holidayName(day: Day): string | undefined {
    this.check(day);
    return this.holidays.get(day);
  }

  /** The n-th working day after `day` (before it, for negative n); `day` itself is not counted. */
  addWorkingDays(day: Day, n: number): Day {
    if (!Number.isInteger(n)) throw new RangeError(`工作日数必须是整数：${n}`);
    const step = n >= 0 ? 1 : -1;
    let d = day;
    for (let left = Math.abs(n); left > 0; ) {
      d = addDays(d, step);
      if (this.isWorkingDay(d)) left--;
    }
    return d;
  }

  /** Working days after `from` up to and including `to`; negative when `to` is earlier. */
  workingDaysBetween(from: Day, to: Day): number {
    if (to < from) return -this.workingDaysBetween(to, from);
    let count = 0;
    for (let d = addDays(from, 1); d <= to; d = addDays(d, 1)) if (this.isWorkingDay(d)) count++;
    return count;
  }

  /** The latest working day strictly before `day`. */
  previousWorkingDay(day: Day): Day {
    return this.addWorkingDays(day, -1);
  }

  /**
   * The same weekday one week back, if that was a working day; otherwise the same weekday further back, up to
   * `maxWeeks`. Comparing a Monday with the Monday before keeps the weekly rhythm of case volumes out of the change.
   */
  sameWorkingWeekdayBefore(day: Day, maxWeeks = 4): Day | undefined {
    for (let w = 1; w <= maxWeeks; w++) {
      const d = addDays(day, -7 * w);
      if (this.isWorkingDay(d)) return d;
    }
    return undefined;
  }

  private check(day: Day): void {
    if (!this.years.includes(yearOf(day))) throw new CalendarGapError(yearOf(day), this.years);
  }
}

function yearOf(day: Day): number {
  return Number(day.slice(0, 4));
}
