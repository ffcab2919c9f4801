import { Command } from 'commander';
import type { MigrationResultSet } from 'kysely';
import { createDatabase } from '../db/database';
import { migrateDown, migrationStatus } from '../db/migrator';
import { loadEnv } from '../config/env';
import { ensureDatabase } from '../db/ensure-database';
import { databasePowers, prepareSchema } from '../db/roles';

export function migrateCommand(): Command {
  const cmd = new Command('migrate').description('数据库迁移：默认迁移到最新；也可查看状态或回退一步');
  cmd
    .command('up', { isDefault: true })
    .description('迁移到最新版本（多个实例同时运行也只执行一次），并按 src/db/grants.ts 授予应用角色（DATABASE_URL 的角色）权限')
    .option('--owner-url <url>', '所有者角色的连接（默认取环境变量 MIGRATION_DATABASE_URL；都没有则用 DATABASE_URL 本身迁移）')
    .action(async (opts: { ownerUrl?: string }) => {
      const env = loadEnv();
      const ownerUrl = opts.ownerUrl ?? env.migrationDatabaseUrl;
      await ensureDatabase(ownerUrl ?? env.databaseUrl);
      await withDb(async (db) => {
        // Without an owner URL, DATABASE_URL's role migrates if it may, and is told what to run if it may not.
        report((await prepareSchema(db, ownerUrl)) ?? { results: [] });
        if (ownerUrl) console.log(`已按 src/db/grants.ts 授予应用角色 ${(await databasePowers(db)).role} 权限。`);
      });
    });
  cmd
    .command('down')
    .description('回退最近一次迁移（以所有者角色：--owner-url 或 MIGRATION_DATABASE_URL）')
    .option('--owner-url <url>', '所有者角色的连接')
    .action((opts: { ownerUrl?: string }) => withDb(async (db) => report(await migrateDown(db)), opts.ownerUrl ?? loadEnv().migrationDatabaseUrl));
  cmd
    .command('status')
    .description('列出每个迁移及是否已执行')
    .action(() =>
      withDb(async (db) => {
        for (const m of await migrationStatus(db)) console.log(`${m.executedAt ? m.executedAt.toISOString() : '未执行'.padEnd(24)}  ${m.name}`);
      }),
    );
  return cmd;
}

async function withDb(fn: (db: ReturnType<typeof createDatabase>['db']) => Promise<void>, url = loadEnv().databaseUrl): Promise<void> {
  const handle = createDatabase(url, { max: 1 });
  try {
    await fn(handle.db);
  } finally {
    await handle.close();
  }
}

function report(result: Pick<MigrationResultSet, 'results'>): void {
  const done = result.results ?? [];
  if (done.length === 0) console.log('没有需要执行的迁移。');
  for (const r of done) console.log(`${r.direction === 'Up' ? '已执行' : '已回退'}  ${r.migrationName}`);
}
