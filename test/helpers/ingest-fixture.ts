import { writeFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import pino from 'pino';
import { DubanConfig, loadConfig } from '../../src/config/load-config';
import type { CsvSourceConfig } from '../../src/config/schema';
import { CsvSource } from '../../src/ingest/csv-source';
import { syncCatalogue } from '../../src/services/catalogue-sync.service';
import { IngestService } from '../../src/services/ingest.service';
import { createTestDatabase, TestDatabase } from './test-database';
import { tempDir } from './temp-dir';

export const silentLogger = pino({ level: 'silent' });

/** Noon on 2026-11-27 in Shanghai: "today" for every ingest test. */
export const TODAY = new Date('2026-11-27T04:00:00Z');

export interface IngestFixture {
  db: TestDatabase;
  config: DubanConfig;
  service: IngestService;
  dir: ReturnType<typeof tempDir>;
  /** Writes a CSV file (UTF-8, or GBK when asked) and returns its path. */
  writeCsv(name: string, lines: string[], encoding?: 'utf-8' | 'utf-8-bom' | 'gbk'): string;
  csvSource(path: string, overrides?: Partial<CsvSourceConfig>): CsvSource;
  observations(day: string): Promise<Record<string, string>>;
  rejects(runId: number): Promise<Array<{ line_no: number | null; column_name: string | null; raw: string; reason: string; message: string; input: string }>>;
  close(): Promise<void>;
}

/** `today`: the day the ingest stands on (default TODAY); no value may be for a day after it. */
export async function ingestFixture(label: string, opts: { today?: Date } = {}): Promise<IngestFixture> {
  const db = await createTestDatabase(label);
  const config = { ...loadConfig(), sources: [] };
  await syncCatalogue(db.db, config);
  const today = opts.today ?? TODAY;
  const service = new IngestService({ db: db.db, pool: db.pool, config, logger: silentLogger, now: () => today });
  const dir = tempDir();
  return {
    db,
    config,
    service,
    dir,
    writeCsv(name, lines, encoding = 'utf-8') {
      const text = `${lines.join('\r\n')}\r\n`;
      const bytes = encoding === 'gbk' ? iconv.encode(text, 'gbk') : Buffer.from((encoding === 'utf-8-bom' ? '\uFEFF' : '') + text, 'utf8');
      writeFileSync(dir.file(name), bytes);
      return dir.file(name);
    },
    csvSource(path, overrides = {}) {
      return new CsvSource({ name: 'csv', path, pattern: '*', encoding: 'auto', delimiter: ',', percentScale: 'auto', ...overrides });
    },
    async observations(day) {
      const rows = await db.db
        .selectFrom('observations as o')
        .innerJoin('units as u', 'u.id', 'o.unit_id')
        .innerJoin('indicators as i', 'i.id', 'o.indicator_id')
        .select(['u.code as unit', 'i.code as indicator', 'o.value'])
        .where('o.day', '=', day)
        .execute();
      return Object.fromEntries(rows.map((r) => [`${r.unit}/${r.indicator}`, r.value]));
    },
    async rejects(runId) {
      return db.db
        .selectFrom('ingest_rejects')
        .select(['line_no', 'column_name', 'raw', 'reason', 'message', 'input'])
        .where('run_id', '=', runId)
        .orderBy('line_no')
        .orderBy('id')
        .execute();
    },
    async close() {
      dir.remove();
      await db.drop();
    },
  };
}

/** Ingests values for a day as a county's CSV would send them (unit, indicator, value), expecting success. */
export async function ingestRows(f: IngestFixture, day: string, rows: Array<[unit: string, indicator: string, value: string]>): Promise<void> {
  const file = f.writeCsv(`${day}-${Math.random().toString(36).slice(2)}.csv`, ['单位,指标,数值', ...rows.map((r) => r.join(','))]);
  const [r] = await f.service.ingestDay(day, { trigger: 'test', sources: [f.csvSource(file)] });
  expect(r!.status).toBe('succeeded');
}
