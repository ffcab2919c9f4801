import { addDays, Day, weekday } from './day';
import { IsoWeek, isoWeekOf, mondayOf, weekParts } from './iso-week';
import type { WorkingCalendar } from './working-calendar';

/**
 * The day week `week`'s letters go out: the configured weekday (1 = Monday … 7 = Sunday), or when that is a holiday
 * the next working day, as the director's meeting moves with it. A 国庆 week may push it into the next week; the
 * letter keeps its own week's number.
 */
export function letterDay(calendar: WorkingCalendar, week: IsoWeek, isoWeekday = 1): Day {
  let day = addDays(mondayOf(week), isoWeekday - 1);
  while (!calendar.isWorkingDay(day)) day = addDays(day, 1);
  return day;
}

/**
 * A week whose letter day would fall outside it (春节 can take a whole week) has no letters of its own: the next
 * week's letter speaks for both.
 */
export function isSkippedWeek(calendar: WorkingCalendar, week: IsoWeek, isoWeekday = 1): boolean {
  // Before the calendar's first year there were no letters to skip.
  if (!calendar.covers(mondayOf(week))) return false;
  return letterDay(calendar, week, isoWeekday) > addDays(mondayOf(week), 6);
}

/** What a letter reports on: the week before its own, reaching further back over weeks that had no letter. */
export function reportingWindow(calendar: WorkingCalendar, week: IsoWeek, isoWeekday = 1): { from: Day; to: Day } {
  const to = addDays(mondayOf(week), -1);
  let from = addDays(mondayOf(week), -7);
  for (let n = 0; n < 4 && isSkippedWeek(calendar, isoWeekOf(from), isoWeekday); n++) from = addDays(from, -7);
  return { from, to };
}

/**
 * The week whose letters are due on `today`: this week's once its letter day has come. The daemon asks at every
 * scheduled tick, so a letter day moved by a holiday, or missed while the daemon was down, is caught up within the week.
 */
export function weekDueOn(calendar: WorkingCalendar, today: Day, isoWeekday = 1): IsoWeek | undefined {
  const week = isoWeekOf(today);
  if (isSkippedWeek(calendar, week, isoWeekday)) return undefined;
  return today >= letterDay(calendar, week, isoWeekday) ? week : undefined;
}

/** 2026年11月23日, as a letter is dated. */
export function chineseDate(day: Day): string {
  return `${Number(day.slice(0, 4))}年${Number(day.slice(5, 7))}月${Number(day.slice(8, 10))}日`;
}

/**
 * A day as a table in a letter or summary writes it: 11月16日 in the document's own year (which its title states),
 * 2025年12月29日 in another, so that every date of a document is in the one Chinese style.
 */
export function documentDay(day: Day, documentDay: Day): string {
  return day.slice(0, 4) === documentDay.slice(0, 4) ? chineseMonthDay(day) : chineseDate(day);
}

/** 11月16日至11月22日; 2025年12月29日至1月4日 when it starts in a year before the document's. */
export function periodText(period: { from: Day; to: Day }, document: Day): string {
  return `${documentDay(period.from, document)}至${documentDay(period.to, document)}`;
}

/**
 * The ISO week(s) a period covers, as a document names the period it reports on: 2026年第47周; 2026年第4至5周 after a
 * week without letters (春节); 2025年第52周至2026年第1周 across a year.
 */
export function weeksLabel(period: { from: Day; to: Day }): string {
  const first = weekParts(isoWeekOf(period.from));
  const last = weekParts(isoWeekOf(period.to));
  if (first.year === last.year && first.week === last.week) return `${first.year}年第${first.week}周`;
  if (first.year === last.year) return `${first.year}年第${first.week}至${last.week}周`;
  return `${first.year}年第${first.week}周至${last.year}年第${last.week}周`;
}

/** 11月16日, for a period inside one letter. */
export function chineseMonthDay(day: Day): string {
  return `${Number(day.slice(5, 7))}月${Number(day.slice(8, 10))}日`;
}

export const WEEKDAY_LABELS = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];

export function weekdayLabel(day: Day): string {
  return WEEKDAY_LABELS[weekday(day)]!;
}

/**
 * A letter's number from the bureau's pattern: {year} the week's year, {week} its number (two digits), {seq} the
 * letter's place among the week's letters (two digits or more). 宣数督〔{year}〕{week}-{seq}号 → 宣数督〔2026〕48-07号.
 * {year} is the ISO week's year, not the year of the letter day as GB/T 9704 has it for a running number: with the
 * week in the number the two must go together, or the letter of 2026-W01 (dated 2025年12月29日) would be 〔2025〕01,
 * the number of 2025-W01's.
 */
export function letterNumber(pattern: string, parts: { year: number; week: number; seq: number }): string {
  return pattern
    .replaceAll('{year}', String(parts.year))
    .replaceAll('{week}', String(parts.week).padStart(2, '0'))
    .replaceAll('{seq}', String(parts.seq).padStart(2, '0'));
}
