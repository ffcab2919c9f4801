import path from 'node:path';
import { Command, Option } from 'commander';
import { parseDay } from '../domain/day';
import { CsvSource } from '../ingest/csv-source';
import { createSource } from '../ingest/create-source';
import type { IngestSource } from '../ingest/source';
import type { SourceRunResult } from '../services/ingest.service';
import { table } from './output';
import { withApp } from './with-app';

const STATUS: Record<SourceRunResult['status'], string> = { succeeded: '成功', failed: '失败' };

export function ingestCommand(): Command {
  return new Command('ingest')
    .description('采集某一天的数据（与守护进程的每日任务相同的流程），并打印新增、修订、未变、拒收条数')
    .requiredOption('--day <YYYY-MM-DD>', '采集哪一天的数据', parseDay)
    .option('--source <name>', '只采集这个数据源（默认：配置中的全部数据源）')
    .addOption(new Option('--file <path>', '采集这个 CSV 文件（可与 --source 一起用，沿用该源的编码等设置）'))
    .action(async (opts: { day: string; source?: string; file?: string }, cmd: Command) => {
      await withApp(cmd, { prepare: true }, async (app) => {
        const sources = pickSources(app.config.sources, opts);
        const results = await app.services.ingest.ingestDay(opts.day, { trigger: 'cli', sources });
        console.log(`采集日期 ${opts.day}`);
        console.log(
          table(
            ['数据源', '运行号', '状态', '新增', '修订', '未变', '拒收'],
            results.map((r) => [r.source, r.runId, STATUS[r.status], r.accepted, r.revised, r.unchanged, r.rejected]),
          ),
        );
        for (const r of results) {
          if (r.status === 'failed') console.log(`\n${r.source} 失败：${r.error}\n未写入任何数据。修正后重新运行本命令即可。`);
          if (r.rejected > 0) console.log(`\n${r.source} 有 ${r.rejected} 行被拒收，查看明细：duban rejects --run ${r.runId}`);
        }
        if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
      });
    });
}

function pickSources(all: Parameters<typeof createSource>[0][], opts: { source?: string; file?: string }): IngestSource[] {
  const named = opts.source ? all.find((s) => s.name === opts.source) : undefined;
  if (opts.source && !named && !opts.file) {
    throw new Error(`配置中没有名为“${opts.source}”的数据源（已配置：${all.map((s) => s.name).join('、') || '无'}）`);
  }
  if (opts.file) {
    const base = named?.type === 'csv' ? named : undefined;
    return [
      new CsvSource({
        name: opts.source ?? 'file',
        path: path.resolve(opts.file),
        pattern: '*',
        encoding: base?.encoding ?? 'auto',
        format: base?.format ?? 'auto',
        delimiter: base?.delimiter ?? ',',
        percentScale: base?.percentScale ?? 'auto',
      }),
    ];
  }
  return (named ? [named] : all).map(createSource);
}
