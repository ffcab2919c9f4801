import { Command } from 'commander';
import { describeBreak } from '../domain/ledger-chain';
import { LedgerService } from '../services/ledger.service';
import { withApp } from './with-app';

export function auditCommand(): Command {
  const cmd = new Command('audit').description('审计：核验台账（只能追加、逐条哈希链接）');

  cmd
    .command('verify')
    .description('从第一条事件起重新计算哈希链，指出第一条被修改、删除或插入的事件（不一致时退出码为 2）')
    .action(async (_opts: unknown, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const report = await new LedgerService(app.database.db).verify();
        if (!report.broken) {
          console.log(`台账完整：${report.checked} 条事件，哈希链逐条核验一致。`);
          return;
        }
        console.log(`台账被篡改：${describeBreak(report.broken)}。此前 ${report.checked} 条事件核验一致。`);
        process.exitCode = 2;
      });
    });

  return cmd;
}
