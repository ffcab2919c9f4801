import { Kysely, sql } from 'kysely';

/**
 * Every cell of an input accounted for: how many a run saw, how many it left in ignored columns (listed with the reason
 * and the cells they held) and how many were equal duplicates taken once; a rejected cell's column; the header texts
 * an indicator is also known by.
 *
 * Frozen once landed: change the schema with a new migration, never by editing this one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Null for runs before this migration: what they saw was not counted.
  await sql`ALTER TABLE ingest_runs ADD COLUMN cells_seen integer, ADD COLUMN ignored integer NOT NULL DEFAULT 0,
            ADD COLUMN duplicates integer NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE ingest_rejects ADD COLUMN column_name text`.execute(db);
  await sql`
    CREATE TABLE ingest_ignored_columns (
      id bigserial PRIMARY KEY,
      run_id bigint NOT NULL REFERENCES ingest_runs (id),
      input text NOT NULL,
      column_no integer NOT NULL,
      header text NOT NULL,
      reason text NOT NULL,
      message text NOT NULL,
      suggestion text,
      cells integer NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX ingest_ignored_columns_run ON ingest_ignored_columns (run_id)`.execute(db);
  await sql`ALTER TABLE indicators ADD COLUMN header_aliases text[] NOT NULL DEFAULT '{}'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE indicators DROP COLUMN header_aliases`.execute(db);
  await sql`DROP TABLE ingest_ignored_columns`.execute(db);
  await sql`ALTER TABLE ingest_rejects DROP COLUMN column_name`.execute(db);
  await sql`ALTER TABLE ingest_runs DROP COLUMN cells_seen, DROP COLUMN ignored, DROP COLUMN duplicates`.execute(db);
}
