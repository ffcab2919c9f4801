import { Command } from 'commander';
import { loadEnv } from '../config/env';
import { setupRoles } from '../db/roles';

export function dbCommand(): Command {
  const cmd = new Command('db').description('数据库管理（由数据库管理员运行）');
  cmd
    .command('setup-roles')
    .description(
      '建立两个数据库角色：所有者角色拥有表并执行迁移，应用角色（守护进程和命令行使用）只有读写业务数据所需的权限，不能修改、删除台账。可重复运行；密码取自环境变量 DUBAN_OWNER_PASSWORD、DUBAN_APP_PASSWORD（不设则不设密码）',
    )
    .option('--admin-url <url>', '管理员连接（超级用户，或有 CREATEROLE 权限且能代行两个角色），指向 duban 的数据库；默认取环境变量 DUBAN_ADMIN_DATABASE_URL')
    .option('--owner <name>', '所有者角色名', 'duban_owner')
    .option('--app <name>', '应用角色名', 'duban_app')
    .action(async (opts: { adminUrl?: string; owner: string; app: string }) => {
      const adminUrl = opts.adminUrl ?? process.env.DUBAN_ADMIN_DATABASE_URL;
      if (!adminUrl) throw new Error('请用 --admin-url 或环境变量 DUBAN_ADMIN_DATABASE_URL 指定管理员连接');
      const report = await setupRoles(adminUrl, {
        owner: opts.owner,
        app: opts.app,
        ...(process.env.DUBAN_OWNER_PASSWORD ? { ownerPassword: process.env.DUBAN_OWNER_PASSWORD } : {}),
        ...(process.env.DUBAN_APP_PASSWORD ? { appPassword: process.env.DUBAN_APP_PASSWORD } : {}),
      });
      console.log(`数据库 ${report.database}：`);
      console.log(report.created.length ? `  新建角色：${report.created.join('、')}` : '  角色已存在，未新建');
      if (report.reassigned.length) console.log(`  转给 ${opts.owner} 所有：${report.reassigned.join('、')}`);
      console.log(report.migrated.length ? `  以 ${opts.owner} 执行迁移：${report.migrated.join('、')}` : '  数据库结构已是最新');
      console.log(`  已按 src/db/grants.ts 授予 ${opts.app} 权限；台账只能追加，数值只能经修订改动`);
      console.log('守护进程和命令行使用：');
      console.log(`  DATABASE_URL=${urlFor(adminUrl, opts.app)}`);
      console.log(`  MIGRATION_DATABASE_URL=${urlFor(adminUrl, opts.owner)}（只给执行迁移的环境）`);
    });
  return cmd;
}

/** The admin URL with another role and the password left for the reader to fill in. */
function urlFor(adminUrl: string, role: string): string {
  const u = new URL(adminUrl);
  u.username = role;
  u.password = '';
  const text = u.toString();
  return text.replace(`//${role}@`, `//${role}:<密码>@`);
}
