import { Migrator, MigrationResultSet, MigrationInfo } from 'kysely';
import { migrations } from '../../migrations';
import type { Db } from './database';

function migrator(db: Db): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** Safe with several daemons starting at once: Kysely holds a lock row while it migrates. */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  return check(await migrator(db).migrateToLatest());
}

export async function migrateDown(db: Db): Promise<MigrationResultSet> {
  return check(await migrator(db).migrateDown());
}

export async function migrationStatus(db: Db): Promise<readonly MigrationInfo[]> {
  return migrator(db).getMigrations();
}

function check(result: MigrationResultSet): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(`数据库迁移失败${failed ? `（${failed.migrationName}）` : ''}：${String(result.error)}`, { cause: result.error });
  }
  return result;
}

/** The names of the migrations not yet run: read-only, so a role that may not migrate can still ask. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  return (await migrationStatus(db)).filter((m) => !m.executedAt).map((m) => m.name);
}
