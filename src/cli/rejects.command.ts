import { Command, Option } from 'commander';
import { parseDay } from '../domain/day';
import { table } from './output';
import { UsageError } from '../domain/names';
import { positiveInt } from './parse-id';
import { withApp } from './with-app';

export function rejectsCommand(): Command {
  return new Command('rejects')
    .description('列出被拒收的单元格（来源文件、行号、列、原文、原因代码和说明）和未读取的列')
    .addOption(new Option('--run <id>', '某次采集运行的拒收行').argParser(positiveInt('运行号')))
    .addOption(new Option('--day <YYYY-MM-DD>', '某一天所有采集运行的拒收行').argParser(parseDay))
    .addOption(new Option('--format <format>', '输出格式').choices(['table', 'json']).default('table'))
    .option('--limit <n>', '最多列出多少行', positiveInt('行数', 1_000_000), 1000)
    .action(async (opts: { run?: number; day?: string; format: string; limit: number }, cmd: Command) => {
      if (opts.run === undefined && opts.day === undefined) throw new UsageError('请给出 --run（运行号）或 --day（日期）');
      await withApp(cmd, {}, async (app) => {
        const pick = { runId: opts.run, day: opts.day };
        const [rows, ignored] = await Promise.all([app.services.ingest.rejects(pick, opts.limit), app.services.ingest.ignoredColumns(pick)]);
        if (opts.format === 'json') {
          console.log(JSON.stringify({ rejects: rows, ignoredColumns: ignored }, null, 2));
          return;
        }
        if (rows.length === 0) console.log('没有拒收的单元格。');
        else {
          console.log(
            table(
              ['运行号', '文件', '行号', '列', '原因代码', '说明', '原文'],
              rows.map((r) => [r.run_id, r.input, r.line_no, r.column_name ?? '', r.reason, r.message, r.raw.length > 60 ? `${r.raw.slice(0, 57)}...` : r.raw]),
            ),
          );
          if (rows.length === opts.limit) console.log(`\n只列出了前 ${opts.limit} 行，可用 --limit 调整。`);
        }
        if (ignored.length > 0) {
          console.log('\n未读取的列：');
          console.log(
            table(
              ['运行号', '文件', '列号', '表头', '原因代码', '说明', '单元格', '可能是'],
              ignored.map((c) => [c.run_id, c.input, c.column_no, c.header, c.reason, c.message, c.cells, c.suggestion ?? '']),
            ),
          );
        }
      });
    });
}
