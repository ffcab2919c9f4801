import { Kysely, sql } from 'kysely';

/**
 * Reconciliation and the daily statistics at national scale (issue 20).
 *
 * - `anomalies_standing`: a problem's standing breaches (its active anomalies), by problem and day. Reconciliation
 *   asks every live problem for its latest standing breach and how many stand; with this index each answer is one
 *   index-only range (the active anomalies of one problem) instead of every anomaly the problem ever had, superseded
 *   ones included, read from the table.
 * - `duban_refresh_statistics(table, columns)`: the statistics of a table duban writes in bulk every day (all its
 *   columns, or those named), refreshed right after the write (src/db/table-statistics.ts). In PostgreSQL 15 only a
 *   table's owner (or a superuser) may ANALYZE it (pg_maintain comes with 16) and the app role owns nothing, so the
 *   owner lends it this one power: the function runs with the owner's rights (SECURITY DEFINER, a fixed search path),
 *   analyzes only the three tables named here, and EXECUTE goes to the app role alone (src/db/grants.ts). A table
 *   whose lock it cannot take within 5 s (a VACUUM, an index build) is passed over, and says so (false), rather than
 *   holding up the day's work.
 * - The same tables' autovacuum analyze thresholds (2 % changed, from 10 %): the backstop, and the full picture where
 *   duban refreshes only the columns a day moves. At 10 % a table of 19 million values would be analyzed by
 *   autovacuum only every three or four days of 550,000, while each day's new values are what the next statements ask
 *   for.
 *
 * Frozen once landed: change the schema with a new migration, never by editing this one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX anomalies_standing ON anomalies (problem_id, day) WHERE status = 'active'`.execute(db);

  await sql`
    CREATE FUNCTION duban_refresh_statistics(p_table text, p_columns text[] DEFAULT '{}') RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '5s' AS $$
    BEGIN
      IF p_table IS NULL OR p_table NOT IN ('observations', 'anomalies', 'problems') THEN
        RAISE EXCEPTION 'duban: 不能刷新表 % 的统计信息', coalesce(p_table, 'NULL') USING ERRCODE = 'insufficient_privilege';
      END IF;
      EXECUTE format('ANALYZE public.%I', p_table)
        || coalesce(' (' || (SELECT string_agg(format('%I', c), ', ') FROM unnest(p_columns) c) || ')', '');
      RETURN true;
    EXCEPTION WHEN lock_not_available THEN
      RAISE NOTICE 'duban: 表 % 正被其他维护操作占用，本次未刷新统计信息', p_table;
      RETURN false;
    END $$`.execute(db);
  await sql`REVOKE ALL ON FUNCTION duban_refresh_statistics(text, text[]) FROM PUBLIC`.execute(db);

  for (const table of ['observations', 'anomalies', 'problems']) {
    await sql`ALTER TABLE ${sql.table(table)} SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000)`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['observations', 'anomalies', 'problems']) {
    await sql`ALTER TABLE ${sql.table(table)} RESET (autovacuum_analyze_scale_factor, autovacuum_analyze_threshold)`.execute(db);
  }
  await sql`DROP FUNCTION duban_refresh_statistics(text, text[])`.execute(db);
  await sql`DROP INDEX anomalies_standing`.execute(db);
}
