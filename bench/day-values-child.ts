/**
 * Writes the CSV files `npm run bench:day` ingests, one per simulated day, in a process of its own so that holding
 * every series (550,000 at 50,000 units) does not count against duban's peak RSS. Long layout (单位, 指标, 日期, 数值 as
 * unit,indicator,day,value), as a county office's export would be read by duban's CSV source; each file named so
 * that the source's day pattern (*{yyyymmdd}*.csv) picks it. The values are series-source.ts's: each series at its
 * level with small noise, `dropRate` of them 5 points down, 0.2 % missing. Started with fork; answers over IPC.
 *
 *   node dist/bench/day-values-child.js '<json: DayValuesJob>'
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { createDatabase } from '../src/db/database';
import { compactDay, Day } from '../src/domain/day';
import { generatedSeries, valuesOn } from './series-source';

export interface DayValuesJob {
  databaseUrl: string;
  dir: string;
  days: Day[];
  /** The day whose thresholds the levels are read with. */
  levelDay: Day;
  dropRate: number;
  chronicRate: number;
  noiseSpreadCap: number;
}

export interface DayValuesFile {
  day: Day;
  file: string;
  rows: number;
  bytes: number;
}

/** Where the file of `day` is written: a name the CSV source's default pattern picks for that day. */
function dayValuesFile(dir: string, day: Day): string {
  return path.join(dir, `values-${compactDay(day)}.csv`);
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as DayValuesJob;
  const { db, close } = createDatabase(job.databaseUrl);
  const series = await generatedSeries(db, job.levelDay, { chronicRate: job.chronicRate }).finally(close);
  const files: DayValuesFile[] = [];
  for (const day of job.days) {
    const file = dayValuesFile(job.dir, day);
    const out = createWriteStream(file, { encoding: 'utf8' });
    let chunk = 'unit,indicator,day,value\n';
    let rows = 0;
    let bytes = 0;
    for (const { series: s, value } of valuesOn(series, day, { dropRate: job.dropRate, noiseSpreadCap: job.noiseSpreadCap })) {
      chunk += `${s.unit},${s.indicator},${day},${value}\n`;
      rows++;
      if (chunk.length >= 1 << 20) {
        bytes += Buffer.byteLength(chunk);
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    }
    bytes += Buffer.byteLength(chunk);
    out.end(chunk);
    await once(out, 'finish');
    files.push({ day, file, rows, bytes });
  }
  // Disconnected once sent, so that the process ends when its work does.
  process.send!(files, () => process.disconnect());
}

main().catch((err: unknown) => {
  process.stderr.write(`day-values-child: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
