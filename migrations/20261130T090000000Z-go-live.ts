import { Kysely, sql } from 'kysely';

/**
 * When duban went live: the first start of a daemon on this database. Days and weeks before it are backfilled and
 * judged, but their same-day alerts and their letters are not sent by themselves (docs/operations.md#going-live).
 *
 * Frozen once landed: change the schema with a new migration, never by editing this one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE go_live (
      only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
      started_at timestamptz NOT NULL,
      host text NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE go_live`.execute(db);
}
