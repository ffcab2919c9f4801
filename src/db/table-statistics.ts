import { sql } from 'kysely';
import type { Db } from './database';
import type { Day } from '../domain/day';

/**
 * The tables duban writes in bulk every day, and the columns whose distribution a day's writes move, which the next
 * statements filter and join on: the new day (past the end of every histogram until analyzed), how many anomalies
 * stand, are superseded or wait for a problem, how many problems are live and when they fall due. `observations` is
 * analyzed whole here (every month of it: `refreshDayStatistics` below is what the ingest uses). Autovacuum analyzes every column, later
 * (its thresholds lowered by the same migration).
 */
export const DAILY_STATISTICS = {
  observations: [],
  anomalies: ['day', 'status', 'problem_id', 'rule_id', 'kind'],
  problems: ['state', 'kind', 'data_confirmed', 'deadline', 'last_seen', 'closed_on'],
} as const satisfies Record<string, readonly string[]>;

export type DailyTable = keyof typeof DAILY_STATISTICS;

/**
 * Refreshes the planner's statistics of `tables` (ANALYZE), right after a day's bulk write, so that the statements
 * that follow are planned on the data as they now stand. Without it the day just written is past the end of every
 * histogram: PostgreSQL takes it to hold a row or so and plans nested loops over it (at 2,000 units the change rule
 * took 4.5 s instead of 24 ms, the missing-data rule 7.2 s instead of 0.8 s, both growing with the square of the
 * units). Autovacuum comes too late for the step that follows within seconds, and on a large table not for days.
 *
 * The app role does not own the tables, and in PostgreSQL 15 only the owner may ANALYZE (a non-owner's ANALYZE is
 * skipped with a warning), so this calls the owner's `duban_refresh_statistics` (migration
 * 20261130T120000000Z-reconcile-statistics), which analyzes these tables and no other. ANALYZE reads a sample of
 * 30,000 rows whatever the table's size: a fraction of a second next to the write. Its lock stops neither reads nor
 * writes; called outside a transaction, as the services do, each table's is released as soon as it is analyzed.
 * Returns the tables analyzed: one whose lock a VACUUM or an index build held for 5 s is passed over.
 */
export async function refreshStatistics(db: Db, tables: readonly DailyTable[]): Promise<DailyTable[]> {
  const analyzed: DailyTable[] = [];
  for (const table of tables) {
    const r = await sql<{ analyzed: boolean }>`SELECT duban_refresh_statistics(${table}, ${[...DAILY_STATISTICS[table]]}::text[]) AS analyzed`.execute(db);
    if (r.rows[0]!.analyzed) analyzed.push(table);
  }
  return analyzed;
}

/**
 * After a day's values are written: the statistics of the day's month of the history (its partition), and of the whole
 * history when a week old, through the owner's `duban_refresh_day_statistics` (migration
 * 20261130T140000000Z-observation-months). ANALYZE of the whole partitioned table would analyze every month each
 * day, a cost growing by a month a month. Returns false when the partition was busy (passed over, as above).
 */
export async function refreshDayStatistics(db: Db, day: Day): Promise<boolean> {
  const r = await sql<{ analyzed: boolean }>`SELECT duban_refresh_day_statistics(${day}::date) AS analyzed`.execute(db);
  return r.rows[0]!.analyzed;
}
