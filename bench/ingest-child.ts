/**
 * The measured half of `npm run bench:ingest`: duban's real end-to-end ingest of one CSV file, alone in its own
 * process so that its peak RSS is its own. Started by ingest.bench.ts; prints one JSON line on stdout.
 *
 *   node dist/bench/ingest-child.js <databaseUrl> <csvFile> <day> <nowIso>
 */
import { createDatabase } from '../src/db/database';
import { parseDay } from '../src/domain/day';
import { CsvSource } from '../src/ingest/csv-source';
import { createLogger } from '../src/logger';
import { IngestService } from '../src/services/ingest.service';
import { applyHeapPolicy } from '../src/heap-policy';

export interface ChildResult {
  elapsedSeconds: number;
  accepted: number;
  revised: number;
  unchanged: number;
  duplicates: number;
  rejected: number;
  ignored: number;
  cellsSeen: number;
  status: string;
  error?: string;
  /** process.resourceUsage().maxRSS: kilobytes. */
  maxRssKb: number;
}

async function main(): Promise<void> {
  applyHeapPolicy();
  const [url, file, dayText, nowIso] = process.argv.slice(2);
  if (!url || !file || !dayText || !nowIso) throw new Error('usage: ingest-child <databaseUrl> <csvFile> <day> <nowIso>');
  const day = parseDay(dayText);
  const now = new Date(nowIso);
  const logger = createLogger('duban-bench', { ...process.env, LOG_LEVEL: 'warn' });
  const { db, pool, close } = createDatabase(url);
  try {
    const service = new IngestService({ db, pool, config: { timezone: 'Asia/Shanghai', sources: [] }, logger, now: () => now });
    const source = new CsvSource({
      name: 'bench',
      path: file,
      pattern: '*',
      encoding: 'auto',
      delimiter: ',',
      percentScale: 'auto',
    });
    const started = process.hrtime.bigint();
    const [result] = await service.ingestDay(day, { trigger: 'bench', sources: [source] });
    const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (!result) throw new Error('ingestDay returned no result');
    const out: ChildResult = {
      elapsedSeconds,
      accepted: result.accepted,
      revised: result.revised,
      unchanged: result.unchanged,
      duplicates: result.duplicates,
      rejected: result.rejected,
      ignored: result.ignored,
      cellsSeen: result.cellsSeen,
      status: result.status,
      ...(result.error ? { error: result.error } : {}),
      maxRssKb: process.resourceUsage().maxRSS,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ingest-child: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
