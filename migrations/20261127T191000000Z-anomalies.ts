import { Kysely, sql } from 'kysely';

// Frozen once landed: change the schema with a new migration, never by editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('evaluation_runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('summary', 'jsonb')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();

  // One per (rule, indicator, unit, day). A revision that makes it no longer hold marks it superseded; nothing is
  // deleted, and each row names the rule version that raised it.
  await db.schema
    .createTable('anomalies')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('rule_version_id', 'integer', (c) => c.notNull().references('rule_versions.id'))
    .addColumn('indicator_id', 'integer', (c) => c.notNull().references('indicators.id'))
    .addColumn('unit_id', 'integer', (c) => c.notNull().references('units.id'))
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('warning', 'major')`))
    .addColumn('observed_value', 'numeric')
    .addColumn('expected_value', 'numeric')
    .addColumn('explanation', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active').check(sql`status in ('active', 'superseded')`))
    .addColumn('evaluation_id', 'bigint', (c) => c.notNull().references('evaluation_runs.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('superseded_at', 'timestamptz')
    .addUniqueConstraint('anomalies_rule_indicator_unit_day', ['rule_id', 'indicator_id', 'unit_id', 'day'])
    .execute();
  await db.schema.createIndex('anomalies_day').on('anomalies').column('day').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('anomalies').execute();
  await db.schema.dropTable('evaluation_runs').execute();
}
