import { sql } from 'kysely';
import type { Db } from './database';

/**
 * Session settings for the few large statements of an evaluation, a reconciliation, the letters' standings and the
 * summary's overview, for the rest of the caller's transaction. JIT compilation cost 1–2 s per statement at 50,000 units without making them faster, and at the default
 * work_mem the rank sort and the hash aggregates spill to disk (at 64 MB the rank sort of 1.65 million rows still did, when every
 * unit of 50,000 is ranked). A random page costs 1.1 sequential ones, not 4: the days these statements read are the
 * latest of the history, in memory or on SSD, and at 4 the planner took reading a day's 550,000 values in key order
 * for dear enough to probe one day's key 550,000 times instead (the day-on-day rule: 1.5 s instead of 0.4 s, once the
 * history was partitioned by month and a month's key smaller than the whole history's). `db` must be a transaction:
 * SET LOCAL outside one is lost.
 */
export async function useAnalyticSettings(tx: Db): Promise<void> {
  await sql`SET LOCAL jit = off`.execute(tx);
  await sql`SET LOCAL work_mem = '128MB'`.execute(tx);
  await sql`SET LOCAL random_page_cost = 1.1`.execute(tx);
}
