/**
 * Calendar days as `YYYY-MM-DD` strings. A day is a date on the bureau's wall calendar (Asia/Shanghai by default),
 * not an instant, so arithmetic is done on UTC midnights where no daylight-saving or offset can shift it.
 */
export type Day = string;

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

export function isDay(value: string): value is Day {
  const m = DAY_RE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!));
  return d.toISOString().slice(0, 10) === value;
}

export function parseDay(value: string): Day {
  if (!isDay(value)) throw new RangeError(`不是有效日期（应为 YYYY-MM-DD）：${value}`);
  return value;
}

function toUtc(day: Day): number {
  return Date.parse(`${day}T00:00:00Z`);
}

export function addDays(day: Day, n: number): Day {
  return new Date(toUtc(day) + n * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Whole days from `a` to `b` (positive when b is later). */
export function daysBetween(a: Day, b: Day): number {
  return Math.round((toUtc(b) - toUtc(a)) / MS_PER_DAY);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: Day): number {
  return new Date(toUtc(day)).getUTCDay();
}

/** The calendar day that `instant` falls on in `timeZone`. */
export function dayIn(timeZone: string, instant: Date = new Date()): Day {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

/** Days from `from` to `to`, both included, oldest first. */
export function dayRange(from: Day, to: Day): Day[] {
  const out: Day[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

export function compactDay(day: Day): string {
  return day.replaceAll('-', '');
}
