import { Command } from 'commander';
import { createDatabase } from '../db/database';
import { migrateDown, migrateToLatest, migrationStatus } from '../db/migrator';
import { loadEnv } from '../config/env';

export function migrateCommand(): Command {
  const cmd = new Command('migrate').description('数据库迁移：默认迁移到最新；也可查看状态或回退一步');
  cmd
    .command('up', { isDefault: true })
    .description('迁移到最新版本（多个实例同时运行也只执行一次）')
    .action(() => withDb(async (db) => report(await migrateToLatest(db))));
  cmd
    .command('down')
    .description('回退最近一次迁移')
    .action(() => withDb(async (db) => report(await migrateDown(db))));
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

async function withDb(fn: (db: ReturnType<typeof createDatabase>['db']) => Promise<void>): Promise<void> {
  const handle = createDatabase(loadEnv().databaseUrl, { max: 1 });
  try {
    await fn(handle.db);
  } finally {
    await handle.close();
  }
}

function report(result: Awaited<ReturnType<typeof migrateToLatest>>): void {
  const done = result.results ?? [];
  if (done.length === 0) console.log('没有需要执行的迁移。');
  for (const r of done) console.log(`${r.direction === 'Up' ? '已执行' : '已回退'}  ${r.migrationName}`);
}
