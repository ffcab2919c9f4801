import { sql } from 'kysely';
import type { Db } from './database';
import { addDays, Day } from '../domain/day';

/**
 * Makes the history's monthly partitions for the month of `day` and the next (migration
 * 20261130T140000000Z-observation-months), so that a month's partition exists before its first value: an ingest asks
 * before it writes. The owner's `duban_observation_months` does it; a month that is busy, or whose values already sit in
 * the default partition, is left (the values are kept there all the same). Returns the partitions made.
 */
export async function makeHistoryMonths(db: Db, day: Day): Promise<number> {
  // The 1st of the month after `day`'s: 31 days from the 1st of `day`'s month lands in the next month.
  const next = addDays(`${day.slice(0, 8)}01`, 31);
  const r = await sql<{ made: number }>`SELECT duban_observation_months(${day}::date, ${next}::date) AS made`.execute(db);
  return r.rows[0]!.made;
}
