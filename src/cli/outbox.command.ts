import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { MESSAGE_KIND_LABELS } from '../domain/ledger-event-text';
import { table } from './output';
import { positiveInt } from './parse-id';
import { withApp } from './with-app';

const STATUS_LABELS = { pending: '待发送', delivered: '已送达', failed: '发送失败' } as const;

export function outboxCommand(): Command {
  const cmd = new Command('outbox').description('发件箱：每封交办函、预警和通知，写入后由投递进程发送');

  cmd
    .command('list')
    .description('列出邮件（最新的在前，最多 500 封）')
    .addOption(new Option('--status <status>', '状态').choices(Object.keys(STATUS_LABELS)))
    .action(async (opts: { status?: keyof typeof STATUS_LABELS }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const rows = await app.services.outbox.list(opts.status);
        if (rows.length === 0) {
          console.log('发件箱中没有符合条件的邮件。');
          return;
        }
        console.log(
          table(
            ['编号', '类型', '收件单位', '期间', '状态', '尝试', '主题', '最近错误'],
            rows.map((m) => [m.id, MESSAGE_KIND_LABELS[m.kind] ?? m.kind, m.recipient_key, m.period, STATUS_LABELS[m.status], m.attempts, m.subject, m.last_error]),
          ),
        );
      });
    });

  cmd
    .command('retry')
    .description('把发送失败的邮件放回待发送（重新计算尝试次数；记入台账）')
    .argument('<id>', '邮件编号', positiveInt('邮件编号'))
    .option('--by <name>', '操作人（默认：当前系统用户）', userInfo().username)
    .action(async (id: number, opts: { by: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        if (!(await app.services.outbox.retry(id, opts.by))) throw new Error(`邮件 ${id} 不存在或不是“发送失败”状态`);
        console.log(`邮件 ${id} 已放回待发送。`);
      });
    });

  return cmd;
}
