import { Kysely, sql } from 'kysely';

// Frozen once landed: change the schema with a new migration, never by editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Shared by every table that must never change once written (rule versions now, the ledger later).
  await sql`
    CREATE FUNCTION duban_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% 只能追加，不能修改或删除（%）', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$`.execute(db);

  await db.schema
    .createTable('rule_versions')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    // NULL: the rule was retired by this version.
    .addColumn('definition', 'jsonb')
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('effective_from', 'date', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('rule_versions_rule_version', ['rule_id', 'version'])
    .execute();
  await sql`CREATE TRIGGER rule_versions_append_only BEFORE UPDATE OR DELETE ON rule_versions
            FOR EACH ROW EXECUTE FUNCTION duban_refuse_change()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rule_versions').execute();
  await sql`DROP FUNCTION duban_refuse_change()`.execute(db);
}
