import { Kysely, sql } from 'kysely';

// Frozen once landed: change the schema with a new migration, never by editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // A weekly 交办函 as issued: its number, its unit, what it listed and what it assigned. One per unit and week, and
  // numbers never repeat within a week, however often or on however many daemons the weekly job runs.
  await db.schema
    .createTable('letters')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('week', 'text', (c) => c.notNull())
    .addColumn('unit_id', 'integer', (c) => c.notNull().references('units.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('letter_no', 'text', (c) => c.notNull().unique())
    .addColumn('letter_day', 'date', (c) => c.notNull())
    .addColumn('outbox_id', 'bigint', (c) => c.notNull().references('outbox.id'))
    .addColumn('problem_ids', sql`bigint[]`, (c) => c.notNull())
    .addColumn('assigned_ids', sql`bigint[]`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('letters_one_per_unit_week', ['week', 'unit_id'])
    .addUniqueConstraint('letters_seq_per_week', ['week', 'seq'])
    .execute();
  // The letter that assigned a problem: the 台账's 交办函编号.
  await db.schema.alterTable('problems').addColumn('letter_id', 'bigint', (c) => c.references('letters.id')).execute();
  // A problem's latest anomaly, which letters and the 台账 quote: without it the planner walks anomalies_day backwards
  // for every problem, and a week's letters for 3,000 units took minutes.
  await sql`CREATE INDEX anomalies_problem_latest ON anomalies (problem_id, day DESC, id DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX anomalies_problem_latest`.execute(db);
  await db.schema.alterTable('problems').dropColumn('letter_id').execute();
  await db.schema.dropTable('letters').execute();
}
