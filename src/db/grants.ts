import { sql } from 'kysely';
import type { Db } from './database';

/**
 * What the app role (the daemon's and the CLI's) may do with each table: the one declaration of its privileges.
 * Everything else — UPDATE or DELETE where not listed, TRUNCATE, TRIGGER, REFERENCES, ALTER, DROP — stays with the
 * owner role that runs the migrations. The ledger, the checkpoints, rule and indicator versions, letters and rejects are
 * append-only to the app; observations change only by inserting a revision, which the owner's trigger applies.
 */
export const APP_TABLE_PRIVILEGES = {
  units: ['SELECT', 'INSERT', 'UPDATE'],
  indicators: ['SELECT', 'INSERT', 'UPDATE'],
  ingest_runs: ['SELECT', 'INSERT', 'UPDATE'],
  observations: ['SELECT', 'INSERT'],
  observation_revisions: ['SELECT', 'INSERT'],
  ingest_rejects: ['SELECT', 'INSERT'],
  ingest_ignored_columns: ['SELECT', 'INSERT'],
  go_live: ['SELECT', 'INSERT'],
  job_runs: ['SELECT', 'INSERT', 'UPDATE'],
  rule_versions: ['SELECT', 'INSERT'],
  indicator_versions: ['SELECT', 'INSERT'],
  evaluation_runs: ['SELECT', 'INSERT', 'UPDATE'],
  anomalies: ['SELECT', 'INSERT', 'UPDATE'],
  problems: ['SELECT', 'INSERT', 'UPDATE'],
  ledger_events: ['SELECT', 'INSERT'],
  ledger_checkpoints: ['SELECT', 'INSERT'],
  outbox: ['SELECT', 'INSERT', 'UPDATE'],
  letters: ['SELECT', 'INSERT'],
  // A token is revoked and its last use noted; never deleted.
  api_tokens: ['SELECT', 'INSERT', 'UPDATE'],
  reply_link_revocations: ['SELECT', 'INSERT'],
  evidence_files: ['SELECT', 'INSERT'],
  // Derived from observations by the owner's triggers; the app only reads them.
  observation_packs: ['SELECT'],
  // The app checks that the schema is current; only the owner migrates.
  kysely_migration: ['SELECT'],
  kysely_migration_lock: ['SELECT'],
} as const satisfies Record<string, ReadonlyArray<'SELECT' | 'INSERT' | 'UPDATE'>>;

export type GrantedTable = keyof typeof APP_TABLE_PRIVILEGES;

/**
 * Functions of the owner's, run with its rights, that the app role may call; their migrations revoke them from PUBLIC.
 * `duban_refresh_statistics`, `duban_refresh_day_statistics`: ANALYZE of the tables written in bulk each day, and of a
 * day's month of the history, which PostgreSQL 15 allows only a table's owner (src/db/table-statistics.ts).
 * `duban_observation_months`: the history's monthly partitions made ahead of their values (src/db/history-months.ts).
 */
export const APP_FUNCTIONS = ['duban_refresh_statistics(text, text[])', 'duban_refresh_day_statistics(date)', 'duban_observation_months(date, date)'] as const;

/**
 * The tables of the schema, as the catalogue lists them. A partition (a month of `observations`) is not one of them: it
 * is read and written only through its table, whose privileges are the ones checked.
 */
export async function schemaTables(db: Db): Promise<string[]> {
  const r = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`.execute(db);
  return r.rows.map((t) => t.name);
}

/**
 * Brings the app role's privileges to exactly the declaration: all revoked, then the declared ones granted, in one
 * transaction of the owner's. A table the migrations made and the declaration does not name is refused outright, so
 * a new table cannot silently go without (or with too many) privileges.
 */
export async function applyGrants(owner: Db, appRole: string): Promise<void> {
  await owner.transaction().execute(async (tx) => {
    const tables = await schemaTables(tx);
    const undeclared = tables.filter((t) => !(t in APP_TABLE_PRIVILEGES));
    if (undeclared.length > 0) throw new Error(`表 ${undeclared.join('、')} 没有在 src/db/grants.ts 中声明应用角色的权限`);
    const role = sql.id(appRole);
    await sql`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role}`.execute(tx);
    await sql`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${role}`.execute(tx);
    await sql`REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM ${role}`.execute(tx);
    for (const table of tables) {
      const privileges = APP_TABLE_PRIVILEGES[table as GrantedTable];
      await sql`GRANT ${sql.raw(privileges.join(', '))} ON ${sql.table(table)} TO ${role}`.execute(tx);
    }
    for (const fn of APP_FUNCTIONS) await sql`GRANT EXECUTE ON FUNCTION ${sql.raw(fn)} TO ${role}`.execute(tx);
    // Serial ids: drawing the next one is part of inserting.
    await sql`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`.execute(tx);
    await sql`GRANT USAGE ON SCHEMA public TO ${role}`.execute(tx);
  });
}
