import { Kysely, sql } from 'kysely';

// Frozen once landed: change the schema with a new migration, never by editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // A problem (问题) is what the bureau assigns, follows and closes; anomalies are the signals attached to it.
  await db.schema
    .createTable('problems')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('indicator_id', 'integer', (c) => c.notNull().references('indicators.id'))
    .addColumn('unit_id', 'integer', (c) => c.notNull().references('units.id'))
    // The kind of rule that raised it: one live problem per (indicator, unit, kind).
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('owner_unit_id', 'integer', (c) => c.notNull().references('units.id'))
    .addColumn('state', 'text', (c) =>
      c.notNull().defaultTo('open').check(sql`state in ('open', 'assigned', 'pending_verification', 'closed', 'dismissed')`),
    )
    // Sets the deadline when assigned (simple / cross_department / complex, from config).
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('warning', 'major')`))
    .addColumn('first_seen', 'date', (c) => c.notNull())
    .addColumn('last_seen', 'date', (c) => c.notNull())
    .addColumn('anomaly_count', 'integer', (c) => c.notNull())
    .addColumn('worst_value', 'numeric')
    .addColumn('reopen_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('data_confirmed', 'boolean', (c) => c.notNull().defaultTo(false))
    // 提醒 → 督办 → 通报, derived from the deadline by reconciliation; kept so each step is recorded once.
    .addColumn('escalation', 'text', (c) => c.notNull().defaultTo('none').check(sql`escalation in ('none', 'remind', 'supervise', 'notify')`))
    .addColumn('signed_off_by', 'text')
    .addColumn('assigned_on', 'date')
    .addColumn('deadline', 'date')
    .addColumn('closed_on', 'date')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE UNIQUE INDEX problems_one_live ON problems (indicator_id, unit_id, kind)
            WHERE state IN ('open', 'assigned', 'pending_verification')`.execute(db);
  await db.schema.createIndex('problems_owner_state').on('problems').columns(['owner_unit_id', 'state']).execute();
  await db.schema.alterTable('anomalies').addColumn('problem_id', 'bigint', (c) => c.references('problems.id')).execute();
  await db.schema.createIndex('anomalies_problem').on('anomalies').column('problem_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('anomalies').dropColumn('problem_id').execute();
  await db.schema.dropTable('problems').execute();
}
