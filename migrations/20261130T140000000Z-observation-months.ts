import { Kysely, sql } from 'kysely';

/**
 * The history partitioned by month (issue 20). At national scale a month of values is some 12 million rows; one table
 * of every day ever kept grows without end, and so does what each day's maintenance and each plan has to consider.
 *
 * - `observations` becomes a table partitioned by range of `day`, one partition a calendar month
 *   (`observations_2026_11` holds 2026-11-01 … 2026-11-30), and `observations_default` for a day whose month has no
 *   partition yet, so that no write ever fails for want of one. Same columns, same key; the packs' triggers and the
 *   revisions' foreign key are made again on it. A query that names its day or days reads only their months.
 * - `duban_observation_months(from, to)`: the owner's, run with its rights and callable by the app role
 *   (src/db/grants.ts), creates the partitions of the months from `from` to `to` that do not exist yet, each with the
 *   statistics thresholds the whole table had. Each ingest calls it for the month of its day and the next one, so a
 *   month's partition exists before its first value (src/services/ingest.service.ts). A month of which the default
 *   partition already holds values (written before the function was asked) is left there rather than moved: moving
 *   would delete rows the revisions refer to. Making a partition locks the whole table (reads too) while it waits, so
 *   it waits at most 1 s and otherwise leaves the month to the next ingest: the next month is asked for from the
 *   first ingest of the month before, some twenty tries ahead.
 * - `duban_refresh_day_statistics(day)`: after an ingest, the statistics of the day's month (its partition, or the
 *   default one), not of the whole history: ANALYZE of a partitioned table also analyzes every partition, a cost that
 *   would grow by a partition a month. The table's own statistics (of all its months together, which plans that read
 *   several months use) are made again with it when a week old or never made. Callable by the app role.
 *
 * Values are never deleted, in a month or otherwise: each ingest run's values are fingerprinted in the ledger, which
 * `audit verify` checks again. A month can be moved elsewhere by a DBA (DETACH PARTITION, dump, keep) only knowing
 * that the ledger's check of those runs then fails (docs/operations.md).
 *
 * The existing history is copied in key order, and the migration holds the table for that time, which grows with the
 * history (31 s for 19.25 million values, 35 days of 50,000 units × 11, on 2 cores): upgrade a large one in a
 * maintenance window.
 *
 * Frozen once landed: change the schema with a new migration, never by editing this one.
 */
const PACK_TRIGGERS = [
  ['observation_packs_insert', 'INSERT', 'NEW'],
  ['observation_packs_update', 'UPDATE', 'NEW'],
  ['observation_packs_delete', 'DELETE', 'OLD'],
] as const;

/** The columns and key of `observations`, as the foundation made them. */
const COLUMNS = sql`
  day date NOT NULL,
  indicator_id integer NOT NULL,
  unit_id integer NOT NULL,
  value numeric NOT NULL,
  first_run_id bigint NOT NULL,
  run_id bigint NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  revised_at timestamptz,
  CONSTRAINT observations_pkey PRIMARY KEY (day, indicator_id, unit_id)`;

export async function up(db: Kysely<unknown>): Promise<void> {
  // The old table aside, without the triggers and the foreign key that are made again on the new one.
  await sql`ALTER TABLE observations RENAME TO observations_unpartitioned`.execute(db);
  await sql`ALTER TABLE observations_unpartitioned RENAME CONSTRAINT observations_pkey TO observations_unpartitioned_pkey`.execute(db);
  for (const [name] of PACK_TRIGGERS) await sql`DROP TRIGGER ${sql.id(name)} ON observations_unpartitioned`.execute(db);
  await sql`DROP TRIGGER observation_packs_truncate ON observations_unpartitioned`.execute(db);
  await sql`ALTER TABLE observation_revisions DROP CONSTRAINT observation_revisions_observation`.execute(db);

  await sql`CREATE TABLE observations (${COLUMNS}) PARTITION BY RANGE (day)`.execute(db);
  await sql`CREATE TABLE observations_default PARTITION OF observations DEFAULT`.execute(db);

  await sql`
    CREATE FUNCTION duban_observation_months(p_from date, p_to date) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '1s' AS $$
    DECLARE
      m date;
      made integer := 0;
      name text;
    BEGIN
      IF p_from IS NULL OR p_to IS NULL OR p_to < p_from THEN
        RAISE EXCEPTION 'duban: 月分区范围无效（% 至 %）', p_from, p_to USING ERRCODE = 'invalid_parameter_value';
      END IF;
      FOR m IN SELECT generate_series(date_trunc('month', p_from), date_trunc('month', p_to), interval '1 month')::date LOOP
        name := format('observations_%s', to_char(m, 'YYYY_MM'));
        CONTINUE WHEN to_regclass(format('public.%I', name)) IS NOT NULL;
        CONTINUE WHEN EXISTS (SELECT 1 FROM observations_default WHERE day >= m AND day < (m + interval '1 month')::date);
        BEGIN
          EXECUTE format('CREATE TABLE public.%I PARTITION OF public.observations FOR VALUES FROM (%L) TO (%L)
                          WITH (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000)',
                         name, m, (m + interval '1 month')::date);
          made := made + 1;
        EXCEPTION WHEN lock_not_available OR duplicate_table THEN
          -- Busy, or another daemon made it meanwhile: the month's values go to the default partition until then.
          RAISE NOTICE 'duban: 月分区 % 本次未建立', name;
        END;
      END LOOP;
      RETURN made;
    END $$`.execute(db);
  await sql`REVOKE ALL ON FUNCTION duban_observation_months(date, date) FROM PUBLIC`.execute(db);

  // The months the history holds, and this month and the next.
  await sql`
    SELECT duban_observation_months(least(coalesce(min(day), current_date), current_date),
                                    greatest(coalesce(max(day), current_date), (current_date + interval '1 month')::date))
    FROM observations_unpartitioned`.execute(db);
  await sql`
    INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id, recorded_at, revised_at)
    SELECT day, indicator_id, unit_id, value, first_run_id, run_id, recorded_at, revised_at
    FROM observations_unpartitioned ORDER BY day, indicator_id, unit_id`.execute(db);
  await sql`DROP TABLE observations_unpartitioned`.execute(db);

  await keyRevisions(db);
  // The packs (already filled from this same history) are kept by the same functions, now on the partitioned table.
  await packOnWrite(db);

  await sql`
    CREATE FUNCTION duban_refresh_day_statistics(p_day date) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '5s' AS $$
    DECLARE
      part text := format('observations_%s', to_char(p_day, 'YYYY_MM'));
    BEGIN
      IF p_day IS NULL THEN
        RAISE EXCEPTION 'duban: 未指定日期' USING ERRCODE = 'invalid_parameter_value';
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                     WHERE i.inhparent = 'public.observations'::regclass AND c.relname = part) THEN
        part := 'observations_default';
      END IF;
      EXECUTE format('ANALYZE public.%I', part);
      -- The whole table's own statistics (ANALYZE of it analyzes every month again): when never made, or a week old.
      IF coalesce((SELECT last_analyze FROM pg_stat_user_tables WHERE relid = 'public.observations'::regclass), '-infinity') < now() - interval '7 days'
         OR NOT EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = 'public' AND tablename = 'observations' AND inherited) THEN
        ANALYZE public.observations;
      END IF;
      RETURN true;
    EXCEPTION WHEN lock_not_available THEN
      RAISE NOTICE 'duban: 表 % 正被其他维护操作占用，本次未刷新统计信息', part;
      RETURN false;
    END $$`.execute(db);
  await sql`REVOKE ALL ON FUNCTION duban_refresh_day_statistics(date) FROM PUBLIC`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE observation_revisions DROP CONSTRAINT observation_revisions_observation`.execute(db);
  await sql`ALTER TABLE observations RENAME TO observations_partitioned`.execute(db);
  await sql`ALTER TABLE observations_partitioned RENAME CONSTRAINT observations_pkey TO observations_partitioned_pkey`.execute(db);
  await sql`CREATE TABLE observations (${COLUMNS}) WITH (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000)`.execute(db);
  await sql`INSERT INTO observations SELECT * FROM observations_partitioned ORDER BY day, indicator_id, unit_id`.execute(db);
  await sql`DROP TABLE observations_partitioned`.execute(db);
  await keyRevisions(db);
  await packOnWrite(db);
  await sql`DROP FUNCTION duban_observation_months(date, date)`.execute(db);
  await sql`DROP FUNCTION duban_refresh_day_statistics(date)`.execute(db);
}

/** The revisions' foreign key to the values they revise, on whichever `observations` stands. */
async function keyRevisions(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE observation_revisions ADD CONSTRAINT observation_revisions_observation
    FOREIGN KEY (day, indicator_id, unit_id) REFERENCES observations (day, indicator_id, unit_id)`.execute(db);
}

/** The packs' triggers (migration 20261130T130000000Z-observation-packs) on whichever `observations` stands. */
async function packOnWrite(db: Kysely<unknown>): Promise<void> {
  for (const [name, event, transition] of PACK_TRIGGERS) {
    await sql`CREATE TRIGGER ${sql.id(name)} AFTER ${sql.raw(event)} ON observations REFERENCING ${sql.raw(transition)} TABLE AS changed
              FOR EACH STATEMENT EXECUTE FUNCTION duban_observation_packs_write()`.execute(db);
  }
  await sql`CREATE TRIGGER observation_packs_truncate AFTER TRUNCATE ON observations
            FOR EACH STATEMENT EXECUTE FUNCTION duban_observation_packs_clear()`.execute(db);
}
