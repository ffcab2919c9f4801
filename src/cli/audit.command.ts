import { userInfo } from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { generateSigningKeys, readPublicKey } from '../config/signing-key';
import { describeAudit } from '../services/audit-report-text';
import { checkpointsToCheck } from '../services/checkpoint-copies';
import { auditHolds } from '../services/audit.service';
import { dayIn, parseDay } from '../domain/day';
import { eventLabel } from '../domain/ledger-events';
import { readLedgerFilter, TypedLedgerFilter } from '../domain/ledger-filter';
import { WorkingCalendar } from '../domain/working-calendar';
import { ExportFormat, writeTable } from '../export/table-export';
import type { EventFilter } from '../repositories/audit.repository';
import { formatInstant, table } from './output';
import { parseId } from './parse-id';
import { indicatorCode, problemState, unitCode, UsageError } from '../domain/names';
import { withApp } from './with-app';

export function auditCommand(): Command {
  const cmd = new Command('audit').description('审计：核验台账（只能追加、逐条哈希链接），查询事件，导出问题台账');

  cmd
    .command('verify')
    .description(
      '核验台账：重新计算哈希链；对照签名检查点（数据库之外保存的副本）证明台账未被改写、截断或清空；按台账事件重演每个问题，与问题表逐项比对；核对每次采集的数值指纹。有不一致时退出码为 2',
    )
    .option('--checkpoints <path...>', '检查点文件（checkpoints.jsonl、另存的检查点邮件，或存放它们的目录）；默认为配置中的检查点文件')
    .option('--public-key <file>', '核验检查点签名的公钥（PEM）；默认为配置中的公钥')
    .option('--no-values', '不核对采集数值的指纹（数据量很大时可先跳过）')
    .action(async (opts: { checkpoints?: string[]; publicKey?: string; values: boolean }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const checkpoints = await checkpointsToCheck(app.config.audit.checkpoints, {
          ...(opts.checkpoints ? { paths: opts.checkpoints } : {}),
          ...(opts.publicKey ? { publicKey: readPublicKey(path.resolve(opts.publicKey)) } : {}),
        });
        const report = await app.services.audit.verify({ ...(checkpoints ? { checkpoints } : {}), values: opts.values });
        for (const line of describeAudit(report, checkpoints?.sources)) console.log(line);
        if (!auditHolds(report)) process.exitCode = 2;
      });
    });

  cmd
    .command('checkpoint')
    .description('立即生成一个台账检查点：签名、追加到检查点文件，并发送给审计人员（每天也会自动生成）')
    .option('--by <name>', '操作人（默认：当前系统用户）', userInfo().username)
    .action(async (opts: { by: string }, sub: Command) => {
      await withApp(sub, { prepare: true }, async (app) => {
        const made = await app.services.checkpoints.make({ by: opts.by });
        const cp = made.checkpoint;
        console.log(`已生成台账检查点：${cp.day}，台账共 ${cp.events} 条事件，末条哈希 ${cp.head.slice(0, 16)}…，签名密钥 ${cp.key}`);
        console.log(`已追加到 ${made.file}${made.mailedTo.length ? `；已排入发送给 ${made.mailedTo.join('、')}` : '；未配置审计人员邮箱，未发送'}`);
      });
    });

  cmd
    .command('keygen')
    .description('生成检查点签名密钥对（Ed25519）：私钥只给守护进程（环境变量 DUBAN_CHECKPOINT_KEY_FILE），公钥写入配置并交给审计人员')
    .requiredOption('--out <dir>', '密钥文件存放目录')
    .action((opts: { out: string }) => {
      const keys = generateSigningKeys(path.resolve(opts.out));
      console.log(`已生成密钥对（密钥编号 ${keys.keyId}）：`);
      console.log(`  私钥：${keys.privateFile}（仅本用户可读；设置 DUBAN_CHECKPOINT_KEY_FILE 指向它，切勿放入数据库或配置目录）`);
      console.log(`  公钥：${keys.publicFile}（在 duban.yaml 的 audit.checkpoints.publicKey 中指定，并交给审计人员）`);
    });

  cmd
    .command('ledger')
    .description('导出问题台账（每个问题一行：问题来源、发现时的情况、历次交办函与销号、逾期与督办等级、整改与核验），可按单位、指标、状态、发现日期筛选；问题表与台账不一致时拒绝导出')
    .addOption(new Option('--format <format>', '格式（xlsx 带标题、截至日期和打印设置；csv、json 只有表头和数据，供程序读取）').choices(['xlsx', 'csv', 'json']).default('xlsx'))
    .requiredOption('--out <file>', '输出文件')
    .option('--unit <name>', '单位或责任单位（名称、代码或别名）')
    .option('--indicator <name>', '指标（名称或代码）')
    .option('--state <state>', '状态：待交办、整改中、待核验、逾期、督办、通报、已销号、已撤销、已合并（或英文代码）')
    .option('--from <YYYY-MM-DD>', '发现日期起', parseDay)
    .option('--to <YYYY-MM-DD>', '发现日期止', parseDay)
    .option('--by <name>', '导出人（写在台账的截至行；默认：当前系统用户）', userInfo().username)
    .action(async (opts: TypedLedgerFilter & { format: ExportFormat; out: string; by: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const { filter, text } = readLedgerFilter(app.config, opts);
        const table = await app.services.audit.ledgerExport(filter, {
          asOf: dayIn(app.config.timezone, app.now()),
          calendar: new WorkingCalendar(app.config.calendar),
          bureau: app.config.bureau.name,
          by: opts.by,
          filterText: text,
        });
        await writeTable(table, opts.format, opts.out);
        console.log(`已导出台账 ${table.rows.length} 个问题${text ? `（${text}）` : ''}：${opts.out}`);
      });
    });

  cmd
    .command('log')
    .description('查询台账事件（规则版本、问题的每一次变化），可按单位、指标、问题、状态、日期筛选')
    .option('--unit <name>', '单位或责任单位（名称、代码或别名）')
    .option('--indicator <name>', '指标（名称或代码）')
    .option('--problem <id>', '问题编号', parseId)
    .addOption(new Option('--state <state>', '问题当前状态（名称或代码，如 整改中）').argParser(problemState))
    .option('--from <YYYY-MM-DD>', '从哪个业务日（事件所涉的日子，如问题发现日、数据日期）', parseDay)
    .option('--to <YYYY-MM-DD>', '到哪个业务日', parseDay)
    .option('--recorded-from <YYYY-MM-DD>', '从哪天记录的（按记录时间）', parseDay)
    .option('--recorded-to <YYYY-MM-DD>', '到哪天记录的（按记录时间）', parseDay)
    .addOption(new Option('--format <format>', '格式').choices(['table', 'csv', 'json', 'xlsx']).default('table'))
    .option('--out <file>', '输出文件（csv、json、xlsx 必填）')
    .action(async (opts: Omit<EventFilter, 'timezone'> & { format: ExportFormat | 'table'; out?: string }, sub: Command) => {
      await withApp(sub, {}, async (app) => {
        const events = await app.services.audit.describedEvents({
          ...opts,
          unit: opts.unit === undefined ? undefined : unitCode(app.config, opts.unit),
          indicator: opts.indicator === undefined ? undefined : indicatorCode(app.config, opts.indicator),
        });
        const headers = ['序号', '记录时间', '事件', '操作人', '问题', '单位', '指标', '规则', '内容'];
        const rows = events.map((e) => [
          e.seq,
          formatInstant(e.recorded_at, app.config.timezone),
          eventLabel(e.type),
          e.actor,
          e.problem_id,
          e.unit,
          e.indicator,
          e.rule_id,
          e.description,
        ]);
        if (opts.format === 'table') {
          console.log(events.length === 0 ? '没有符合条件的事件。' : table(headers, rows));
          return;
        }
        if (!opts.out) throw new UsageError(`--format ${opts.format} 需要 --out 指定输出文件`);
        // Files are for programs and spreadsheets too: the event type and payload as the ledger holds them, beside the sentence.
        await writeTable(
          { title: '台账事件', headers: [...headers, '事件类型', '原始数据'], rows: rows.map((r, k) => [...r, events[k]!.type, JSON.stringify(events[k]!.payload)]) },
          opts.format,
          opts.out,
        );
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
        const events = await app.services.audit.describedEvents({ problem: id });
        if (events.length === 0) throw new Error(`没有编号为 ${id} 的问题`);
        console.log(`问题 ${id}`);
        console.log('数据与规则：');
        console.log(table(['日期', '规则', '版本', '观测值', '期望/阈值', '说明', '状态'], anomalies.map((a) => [a.day, a.rule_id, `v${a.version}`, a.observed_value, a.expected_value, a.explanation, a.status === 'active' ? '有效' : '已失效'])));
        console.log('经过：');
        console.log(table(['序号', '记录时间', '事件', '操作人', '内容'], events.map((e) => [e.seq, formatInstant(e.recorded_at, app.config.timezone), eventLabel(e.type), e.actor, e.description])));
      });
    });

  return cmd;
}



