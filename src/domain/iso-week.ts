import { addDays, Day, weekday } from './day';

/** An ISO 8601 week such as `2026-W48`: Monday to Sunday, week 1 being the one with the year's first Thursday. */
export type IsoWeek = string;

const WEEK_RE = /^(\d{4})-W(\d{2})$/;

export function isoWeekOf(day: Day): IsoWeek {
  // The Thursday of the day's week decides the week's year.
  const thursday = addDays(day, 3 - ((weekday(day) + 6) % 7));
  const year = Number(thursday.slice(0, 4));
  const week = Math.floor((Date.parse(`${thursday}T00:00:00Z`) - Date.parse(`${year}-01-01T00:00:00Z`)) / (7 * 86_400_000)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export function parseIsoWeek(value: string): IsoWeek {
  const m = WEEK_RE.exec(value);
  if (!m || Number(m[2]) < 1 || isoWeekOf(mondayOfUnchecked(Number(m[1]), Number(m[2]))) !== value) {
    throw new RangeError(`不是有效的 ISO 周（应为 YYYY-Www，如 2026-W48）：${value}`);
  }
  return value;
}

/** The Monday that opens the week. */
export function mondayOf(week: IsoWeek): Day {
  const m = WEEK_RE.exec(parseIsoWeek(week))!;
  return mondayOfUnchecked(Number(m[1]), Number(m[2]));
}

/** The year and number of the week, as a letter's serial number shows them. */
export function weekParts(week: IsoWeek): { year: number; week: number } {
  const m = WEEK_RE.exec(parseIsoWeek(week))!;
  return { year: Number(m[1]), week: Number(m[2]) };
}

export function addWeeks(week: IsoWeek, n: number): IsoWeek {
  return isoWeekOf(addDays(mondayOf(week), 7 * n));
}

function mondayOfUnchecked(year: number, week: number): Day {
  // 4 January is always in week 1.
  const jan4 = `${year}-01-04`;
  const week1Monday = addDays(jan4, -((weekday(jan4) + 6) % 7));
  return addDays(week1Monday, 7 * (week - 1));
}
