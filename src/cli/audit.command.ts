import { Command, Option } from 'commander';
import { LEDGER_HEADERS, ledgerRow } from '../domain/audit-sheets';
import { dayIn, parseDay } from '../domain/day';
import { describeBreak } from '../domain/ledger-chain';
import { eventLabel } from '../domain/ledger-events';
import { PROBLEM_STATES } from '../domain/problem-state';
import { ExportFormat, writeTable } from '../export/table-export';
import type { EventFilter } from '../repositories/audit.repository';
import { table } from './output';
import { parseId } from './parse-id';
import { withApp } from './with-app';

export function auditCommand(): Command {
  const cmd = new Command('audit').description('审计：核验台账（只能追加、逐条哈希链接），查询事件，导出问题台账');

  cmd
    .command('verify')
    .description('从第一条事件起重新计算哈希链，指出第一条被修改、删除或插入的事件（不一致时退出码为 2）')
    .action(async (_opts: unknown, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const report = await app.services.audit.verify();
        if (!report.broken) {
          console.log(`台账完整：${report.checked} 条事件，哈希链逐条核验一致。`);
          return;
        }
        console.log(`台账被篡改：${describeBreak(report.broken)}。此前 ${report.checked} 条事件核验一致。`);
        process.exitCode = 2;
      });
    });

  cmd
    .command('ledger')
    .description('导出问题台账（每个问题一行，列与台账一致）')
    .addOption(new Option('--format <format>', '格式').choices(['xlsx', 'csv', 'json']).default('xlsx'))
    .requiredOption('--out <file>', '输出文件')
    .action(async (opts: { format: ExportFormat; out: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const today = dayIn(app.config.timezone, app.now());
        const rows = await app.services.audit.ledgerSheet();
        await writeTable({ title: '问题台账', headers: LEDGER_HEADERS, rows: rows.map((r) => ledgerRow(r, today)) }, opts.format, opts.out);
        console.log(`已导出台账 ${rows.length} 个问题：${opts.out}`);
      });
    });

  cmd
    .command('log')
    .description('查询台账事件（规则版本、问题的每一次变化），可按单位、指标、问题、状态、日期筛选')
    .option('--unit <code>', '单位或责任单位代码')
    .option('--indicator <code>', '指标代码')
    .option('--problem <id>', '问题编号', parseId)
    .addOption(new Option('--state <state>', '问题当前状态').choices(PROBLEM_STATES))
    .option('--from <YYYY-MM-DD>', '从哪天', parseDay)
    .option('--to <YYYY-MM-DD>', '到哪天', parseDay)
    .addOption(new Option('--format <format>', '格式').choices(['table', 'csv', 'json', 'xlsx']).default('table'))
    .option('--out <file>', '输出文件（csv、json、xlsx 必填）')
    .action(async (opts: Omit<EventFilter, 'timezone'> & { format: ExportFormat | 'table'; out?: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const events = await app.services.audit.events(opts);
        const headers = ['序号', '时间', '事件', '操作人', '问题', '单位', '指标', '规则', '内容'];
        const rows = events.map((e) => [
          e.seq,
          formatInstant(e.recorded_at, app.config.timezone),
          eventLabel(e.type),
          e.actor,
          e.problem_id,
          e.unit,
          e.indicator,
          e.rule_id,
          JSON.stringify(e.payload),
        ]);
        if (opts.format === 'table') {
          console.log(events.length === 0 ? '没有符合条件的事件。' : table(headers, rows));
          return;
        }
        if (!opts.out) throw new Error(`--format ${opts.format} 需要 --out 指定输出文件`);
        await writeTable({ title: '台账事件', headers, rows }, opts.format, opts.out);
        console.log(`已导出 ${events.length} 条事件：${opts.out}`);
      });
    });

  cmd
    .command('problem')
    .description('一个问题的完整经过：触发它的数据和规则版本、交办、反馈、核验、销号')
    .argument('<id>', '问题编号', parseId)
    .action(async (id: number, _opts: unknown, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const anomalies = await app.services.audit.problemAnomalies(id);
        const events = await app.services.audit.events({ problem: id });
        if (events.length === 0) throw new Error(`没有编号为 ${id} 的问题`);
        console.log(`问题 ${id}`);
        console.log('数据与规则：');
        console.log(table(['日期', '规则', '版本', '观测值', '期望/阈值', '说明', '状态'], anomalies.map((a) => [a.day, a.rule_id, `v${a.version}`, a.observed_value, a.expected_value, a.explanation, a.status === 'active' ? '有效' : '已失效'])));
        console.log('经过：');
        console.log(table(['序号', '时间', '事件', '操作人', '内容'], events.map((e) => [e.seq, formatInstant(e.recorded_at, app.config.timezone), eventLabel(e.type), e.actor, JSON.stringify(e.payload)])));
      });
    });

  return cmd;
}

/** e.g. 2026-11-27 08:00:05, in the bureau's zone. */
function formatInstant(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'medium' }).format(at);
}
