import { Kysely, sql } from 'kysely';

// Frozen once landed: change the schema with a new migration, never by editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('units')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('city', 'county', 'department')`))
    .addColumn('parent_code', 'text')
    .addColumn('aliases', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('contacts', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('indicators')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('percent', 'count', 'number')`))
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('higher', 'lower')`))
    .addColumn('formula', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('alert_value', 'numeric')
    .addColumn('benchmark_value', 'numeric')
    .addColumn('weight', 'numeric', (c) => c.notNull().defaultTo(0))
    .addColumn('source_system', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('source_department', 'text')
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('ingest_runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'succeeded', 'failed')`))
    .addColumn('inputs', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('accepted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revised', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rejected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('ingest_runs_day_source').on('ingest_runs').columns(['day', 'source']).execute();

  // The fact table: one value per (day, indicator, unit), which is also its key and the only index, so a day's
  // million values are written at close to COPY speed. No foreign keys here on purpose: each would cost an index
  // probe per value (measured: 1M values took 36 s with four of them, under 4 s with none). Ids come from the
  // catalogue and runs of the same database, and neither is ever deleted (units and indicators are deactivated).
  await db.schema
    .createTable('observations')
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('indicator_id', 'integer', (c) => c.notNull())
    .addColumn('unit_id', 'integer', (c) => c.notNull())
    .addColumn('value', 'numeric', (c) => c.notNull())
    .addColumn('first_run_id', 'bigint', (c) => c.notNull())
    .addColumn('run_id', 'bigint', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revised_at', 'timestamptz')
    .addPrimaryKeyConstraint('observations_pkey', ['day', 'indicator_id', 'unit_id'])
    .execute();

  // A changed value is never overwritten silently: the old value stays here with the run that replaced it.
  await db.schema
    .createTable('observation_revisions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('indicator_id', 'integer', (c) => c.notNull())
    .addColumn('unit_id', 'integer', (c) => c.notNull())
    .addColumn('old_value', 'numeric', (c) => c.notNull())
    .addColumn('new_value', 'numeric', (c) => c.notNull())
    .addColumn('run_id', 'bigint', (c) => c.notNull().references('ingest_runs.id'))
    .addColumn('revised_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('observation_revisions_observation', ['day', 'indicator_id', 'unit_id'], 'observations', [
      'day',
      'indicator_id',
      'unit_id',
    ])
    .execute();
  await db.schema
    .createIndex('observation_revisions_observation')
    .on('observation_revisions')
    .columns(['day', 'indicator_id', 'unit_id'])
    .execute();

  await db.schema
    .createTable('ingest_rejects')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'bigint', (c) => c.notNull().references('ingest_runs.id'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('line_no', 'integer')
    .addColumn('raw', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('ingest_rejects_run').on('ingest_rejects').column('run_id').execute();

  // The durable guard per (job, slot): BullMQ dedupes while a job is retained, this table dedupes for ever.
  await db.schema
    .createTable('job_runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('slot', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'succeeded', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('worker', 'text', (c) => c.notNull())
    .addColumn('result', 'jsonb')
    .addColumn('error', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addUniqueConstraint('job_runs_job_slot', ['job', 'slot'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['job_runs', 'ingest_rejects', 'observation_revisions', 'observations', 'ingest_runs', 'indicators', 'units']) {
    await db.schema.dropTable(t).execute();
  }
}
