import { addDays, Day, dayIn } from './day';

/**
 * Going live without flooding: a first start backfills the look-back, and everything in it is ingested, judged and
 * recorded, but a same-day alert about a day weeks old, or a 交办函 for a week that ended before anyone was told duban
 * runs, is not news — it is noise that arrives all at once. What counts as before go-live is decided here only.
 */
export interface GoLive {
  /** The go-live day: `delivery.goLive`, or the day of the first daemon start. */
  day: Day;
  /** The first start itself, when go-live is that start rather than a configured day. */
  at?: Date;
}

export function goLiveOf(configured: Day | undefined, firstStart: Date | undefined, timeZone: string): GoLive | undefined {
  if (configured) return { day: configured };
  return firstStart ? { day: dayIn(timeZone, firstStart), at: firstStart } : undefined;
}

/** Same-day alerts go out for the latest data day at go-live and after; a backfilled day before it stays quiet. */
export function alertsHeldBack(goLive: GoLive | undefined, day: Day, lagDays: number): boolean {
  return goLive !== undefined && day < addDays(goLive.day, -lagDays);
}

/** Letters whose schedule fired before go-live (before the first start, or before the configured day) wait for a person. */
export function lettersHeldBack(goLive: GoLive | undefined, tick: Date, timeZone: string): boolean {
  if (!goLive) return false;
  return goLive.at ? tick < goLive.at : dayIn(timeZone, tick) < goLive.day;
}
