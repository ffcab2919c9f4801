import path from 'node:path';
import { Command, Option } from 'commander';
import { IngestFailedError } from '../../jobs/ingest.job';
import { parseDay } from '../domain/day';
import { runStep } from './run-step';
import { describeIngest, describeOutcome } from './step-report';
import { withApp } from './with-app';

export function ingestCommand(): Command {
  return new Command('ingest')
    .description('采集某一天的数据，并随即评估、对账、发出预警（与守护进程的 ingest 步骤相同的代码）；打印每个数据源的单元格数及其去向（新增、修订、未变、重复、拒收、忽略）')
    .requiredOption('--day <YYYY-MM-DD>', '采集哪一天的数据', parseDay)
    .option('--source <name>', '只采集这个数据源（默认：配置中的全部数据源）')
    .addOption(new Option('--file <path>', '采集这个 CSV 文件（可与 --source 一起用，沿用该源的编码等设置）'))
    .action(async (opts: { day: string; source?: string; file?: string }, cmd: Command) => {
      await withApp(cmd, { prepare: true }, async (app) => {
        const pick = { source: opts.source, file: opts.file && path.resolve(opts.file) };
        // Refused before anything runs: a typo in a name is not a failed run of the day.
        app.services.ingest.sourcesFor(pick);
        try {
          const outcome = await runStep(app, 'ingest', { day: opts.day, trigger: 'cli', ...pick }, opts.source || opts.file ? 'always' : 'if-done');
          console.log(describeOutcome(outcome));
        } catch (err) {
          if (!(err instanceof IngestFailedError)) throw err;
          console.log(describeIngest(opts.day, err.results));
          process.exitCode = 1;
        }
      });
    });
}
