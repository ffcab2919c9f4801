import { Kysely, sql } from 'kysely';

// Frozen once landed: change the schema with a new migration, never by editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // The 台账: append-only and hash-chained. `seq` is assigned by the writer under a lock (never a sequence, which
  // would leave gaps on rollback), so the chain has no holes; each `hash` covers the previous hash and the row.
  await db.schema
    .createTable('ledger_events')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('problem_id', 'bigint')
    .addColumn('unit_id', 'integer')
    .addColumn('indicator_id', 'integer')
    .addColumn('rule_id', 'text')
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .execute();
  await db.schema.createIndex('ledger_events_problem').on('ledger_events').column('problem_id').where(sql.ref('problem_id'), 'is not', null).execute();
  await db.schema.createIndex('ledger_events_recorded_at').on('ledger_events').column('recorded_at').execute();
  await sql`CREATE TRIGGER ledger_events_append_only BEFORE UPDATE OR DELETE ON ledger_events
            FOR EACH ROW EXECUTE FUNCTION duban_refuse_change()`.execute(db);
  await sql`CREATE TRIGGER ledger_events_no_truncate BEFORE TRUNCATE ON ledger_events
            FOR EACH STATEMENT EXECUTE FUNCTION duban_refuse_change()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ledger_events').execute();
}
