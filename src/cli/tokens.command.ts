import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { API_ROLES, ApiRole, ROLE_LABELS } from '../domain/access-policy';
import { unitCode } from '../domain/names';
import { formatInstant, table } from './output';
import { positiveInt } from './parse-id';
import { withApp } from './with-app';

/** `90d`, `12h` or a number of days: how long a token lives. */
function parseDuration(text: string): number {
  const m = /^(\d+)\s*([dh]?)$/i.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || n < 1) throw new Error(`有效期应写成天数（如 90d）或小时数（如 12h）：${text}`);
  return m[2]!.toLowerCase() === 'h' ? n / 24 : n;
}

/** API tokens: made here (shown once, stored hashed), listed and revoked; and letters' reply links revoked by period. */
export function tokensCommand(): Command {
  const cmd = new Command('tokens').description('API 令牌：为每个人按角色发放（只显示一次，库中只存哈希），列出、吊销；按期间吊销交办函回复链接');

  cmd
    .command('create')
    .description('发放令牌（令牌只在此显示一次）')
    .addOption(new Option('--role <role>', `角色：${API_ROLES.map((r) => `${r}=${ROLE_LABELS[r]}`).join('，')}`).choices([...API_ROLES]).makeOptionMandatory())
    .requiredOption('--name <person>', '持有人姓名（记为其操作在台账中的操作人）')
    .option('--unit <name...>', '责任单位负责人所属的单位（名称、代码或别名，可多个）')
    .option('--expires <duration>', '有效期，如 90d、12h', '90d')
    .option('--by <name>', '发放人（默认：当前系统用户）', userInfo().username)
    .action(async (opts: { role: ApiRole; name: string; unit?: string[]; expires: string; by: string }, sub: Command) => {
      await withApp(sub, { prepare: true }, async (app) => {
        const units = (opts.unit ?? []).map((u) => unitCode(app.config, u));
        const { token, row } = await app.services.access.create({ person: opts.name, role: opts.role, units, expiresInDays: parseDuration(opts.expires), by: opts.by });
        console.log(`已发放令牌 #${row.id}：${row.person}（${ROLE_LABELS[row.role]}${units.length ? `，${units.join('、')}` : ''}），有效至 ${formatInstant(row.expires_at, app.config.timezone)}`);
        console.log('令牌（只显示这一次，请妥善交给持有人）：');
        console.log(token);
      });
    });

  cmd
    .command('list')
    .description('列出令牌（不显示令牌本身）')
    .action(async (_opts: unknown, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const tz = app.config.timezone;
        const now = app.now();
        const rows = await app.services.access.list();
        if (rows.length === 0) {
          console.log('还没有发放令牌。用 duban tokens create 发放。');
          return;
        }
        console.log(
          table(
            ['编号', '持有人', '角色', '单位', '状态', '有效至', '最近使用', '发放人', '发放时间'],
            rows.map((r) => [
              r.id,
              r.person,
              ROLE_LABELS[r.role],
              r.units.join('、'),
              r.revoked_at ? `已吊销（${r.revoked_by}）` : r.expires_at <= now ? '已过期' : '有效',
              formatInstant(r.expires_at, tz),
              r.last_used_at ? formatInstant(r.last_used_at, tz) : '—',
              r.created_by,
              formatInstant(r.created_at, tz),
            ]),
          ),
        );
      });
    });

  cmd
    .command('revoke')
    .description('吊销令牌（立即失效）')
    .argument('<id>', '令牌编号', positiveInt('令牌编号'))
    .option('--by <name>', '操作人（默认：当前系统用户）', userInfo().username)
    .action(async (id: number, opts: { by: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        if (!(await app.services.access.revoke(id, opts.by))) throw new Error(`没有编号为 ${id} 的有效令牌`);
        console.log(`已吊销令牌 #${id}。`);
      });
    });

  cmd
    .command('revoke-links')
    .description('吊销某期间（周，如 2026-W48；或预警的数据日期）交办函、预警中的回复链接')
    .requiredOption('--period <period>', '期间：周（2026-W48）或日期（2026-11-26）')
    .option('--unit <name>', '只吊销这个单位的（默认：所有单位）')
    .requiredOption('--reason <text>', '原因')
    .option('--by <name>', '操作人（默认：当前系统用户）', userInfo().username)
    .action(async (opts: { period: string; unit?: string; reason: string; by: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        if (!/^\d{4}-(W\d{2}|\d{2}-\d{2})$/.test(opts.period)) throw new Error(`期间应为周（2026-W48）或日期（2026-11-26）：${opts.period}`);
        const unit = opts.unit === undefined ? undefined : unitCode(app.config, opts.unit);
        await app.services.access.revokeLinks(opts.period, unit, opts.by, opts.reason);
        console.log(`已吊销 ${opts.period}${unit ? ` ${unit}` : ''} 的回复链接。`);
      });
    });
  return cmd;
}
