/**
 * `npm run bench:ingest`: duban's end-to-end CSV ingest of one million rows against PostgreSQL's own `\copy` of the
 * same file into an equivalent table. A benchmark, not a test: it prints figures and checks only the row count.
 *
 * Environment:
 *   BENCH_ADMIN_URL   where to create and drop the bench database (default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_KEEP_DB=1   leave duban_bench in place afterwards (for looking at plans and tables)
 *   BENCH_DB          another name for duban_bench, so two people can bench on one server
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import pg from 'pg';
import type { UnitConfig } from '../src/config/schema';
import { loadConfig } from '../src/config/load-config';
import { createDatabase, withDatabase } from '../src/db/database';
import { migrateToLatest } from '../src/db/migrator';
import { PROJECT_ROOT } from '../src/project-root';
import { syncCatalogue } from '../src/services/catalogue-sync.service';
import { withClient } from './bench-admin';
import type { ChildResult } from './ingest-child';

const ROWS = 1_000_000;
const DAY = '2026-11-26';
/** Noon the day after, Shanghai time: DAY is in the past, so no row is a future day. */
const NOW = '2026-11-27T04:00:00Z';
const DB_NAME = process.env.BENCH_DB ?? 'duban_bench';
if (!/^[a-z_][a-z0-9_]*$/.test(DB_NAME)) throw new Error(`BENCH_DB must be a plain lower-case identifier, got ${DB_NAME}`);
const PG_HOST = '127.0.0.1';
const PG_PORT = 5432;
const PG_USER = 'postgres';
const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? `postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/postgres`;
const BENCH_URL = withDatabase(ADMIN_URL, DB_NAME);
const BENCH_DIR = path.join(PROJECT_ROOT, '.bench');
const CSV_FILE = path.join(BENCH_DIR, `ingest-${ROWS}.csv`);

const TARGET_RATIO = 0.5;
const TARGET_RSS_MB = 250;

async function main(): Promise<void> {
  const { indicators } = loadConfig();
  const unitCount = Math.ceil(ROWS / indicators.length);
  const units = syntheticUnits(unitCount);

  step(`CSV: ${path.relative(PROJECT_ROOT, CSV_FILE)}`);
  const existing = existsSync(CSV_FILE) ? await countDataRows(CSV_FILE) : -1;
  if (existing === ROWS) {
    note(`reusing (${ROWS.toLocaleString('en')} rows)`);
  } else {
    const t = Date.now();
    await writeCsv(CSV_FILE, units.map((u) => u.code), indicators.map((i) => i.code));
    const written = await countDataRows(CSV_FILE);
    if (written !== ROWS) throw new Error(`generated CSV has ${written} rows, expected ${ROWS}`);
    note(`generated ${ROWS.toLocaleString('en')} rows (${units.length.toLocaleString('en')} units × ${indicators.length} indicators) in ${secs(Date.now() - t)}`);
  }

  step(`database ${DB_NAME}: create, migrate, sync catalogue`);
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${DB_NAME}`);
  });
  let dropped = false;
  try {
    const prep = createDatabase(BENCH_URL);
    try {
      await migrateToLatest(prep.db);
      await prepareCatalogue(prep.db, units, indicators);
    } finally {
      await prep.close();
    }
    // Fresh statistics and a clean checkpoint, so neither run pays for the set-up.
    await inBench(async (c) => c.query('VACUUM ANALYZE'));
    await admin(async (c) => c.query(`CHECKPOINT`));

    step('duban ingest (child process)');
    const duban = await runChild();
    if (duban.status !== 'succeeded') throw new Error(`ingest run ${duban.status}: ${duban.error ?? ''}`);
    if (duban.accepted !== ROWS) {
      throw new Error(`duban accepted ${duban.accepted} rows, expected ${ROWS} (rejected ${duban.rejected}, unchanged ${duban.unchanged})`);
    }
    const stored = await inBench(async (c) => Number((await c.query('SELECT count(*) AS n FROM observations')).rows[0].n));
    if (stored !== ROWS) throw new Error(`observations holds ${stored} rows, expected ${ROWS}`);
    note(`${duban.accepted.toLocaleString('en')} accepted in ${duban.elapsedSeconds.toFixed(2)} s, peak RSS ${(duban.maxRssKb / 1024).toFixed(0)} MB`);

    step('psql \\copy into bench_copy_target');
    await inBench(async (c) => {
      await c.query(`CREATE TABLE bench_copy_target (
        unit text NOT NULL, indicator text NOT NULL, day date NOT NULL, value numeric NOT NULL,
        PRIMARY KEY (indicator, unit, day))`);
    });
    await admin(async (c) => c.query(`CHECKPOINT`));
    const copySeconds = runPsqlCopy();
    const copied = await inBench(async (c) => Number((await c.query('SELECT count(*) AS n FROM bench_copy_target')).rows[0].n));
    if (copied !== ROWS) throw new Error(`\\copy loaded ${copied} rows, expected ${ROWS}`);
    note(`${copied.toLocaleString('en')} rows in ${copySeconds.toFixed(2)} s`);

    const pgVersion = await admin(async (c) => String((await c.query('SHOW server_version')).rows[0].server_version));
    report(duban, copySeconds, pgVersion);

    if (process.env.BENCH_KEEP_DB === '1') {
      dropped = true;
      note(`kept database ${DB_NAME} (BENCH_KEEP_DB=1)`);
    }
  } finally {
    if (!dropped) await admin(async (c) => c.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`));
  }
}

function syntheticUnits(n: number): UnitConfig[] {
  const units: UnitConfig[] = [];
  for (let k = 1; k <= n; k++) {
    const num = String(k).padStart(6, '0');
    units.push({ code: `u${num}`, name: `单位${num}`, kind: 'county', aliases: [], contacts: [] });
  }
  return units;
}

async function prepareCatalogue(
  db: ReturnType<typeof createDatabase>['db'],
  units: UnitConfig[],
  indicators: ReturnType<typeof loadConfig>['indicators'],
): Promise<void> {
  await syncCatalogue(db, { units, indicators, calendar: loadConfig().calendar });
  const n = await db.selectFrom('units').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  if (Number(n.n) !== units.length) throw new Error(`catalogue holds ${n.n} units, expected ${units.length}`);
}

/** Deterministic values, so every generated file is the same file. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function writeCsv(file: string, unitCodes: string[], indicatorCodes: string[]): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const out = createWriteStream(tmp, { encoding: 'utf8' });
  const random = mulberry32(20261126);
  let chunk = 'unit,indicator,day,value\n';
  let rows = 0;
  outer: for (const unit of unitCodes) {
    for (const indicator of indicatorCodes) {
      if (rows === ROWS) break outer;
      // 90.00 – 100.00 %, written as percentages (never ≤ 1, so never read as a fraction).
      const value = (9000 + Math.floor(random() * 1001)) / 100;
      chunk += `${unit},${indicator},${DAY},${value.toFixed(2)}\n`;
      rows++;
      if (chunk.length >= 1 << 20) {
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  renameSync(tmp, file);
}

/** Lines after the header (the file always ends with a newline). */
async function countDataRows(file: string): Promise<number> {
  let lines = 0;
  for await (const buf of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines++;
  }
  return lines - 1;
}

function runChild(): Promise<ChildResult> {
  const script = path.join(__dirname, 'ingest-child.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, BENCH_URL, CSV_FILE, DAY, NOW], {
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ingest child exited with ${code}`));
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as ChildResult);
      } catch {
        reject(new Error(`ingest child printed no result: ${stdout}`));
      }
    });
  });
}

function runPsqlCopy(): number {
  const quoted = CSV_FILE.replaceAll("'", "''");
  const command = `\\copy bench_copy_target (unit, indicator, day, value) FROM '${quoted}' WITH (FORMAT csv, HEADER true)`;
  const t = process.hrtime.bigint();
  const r = spawnSync('psql', ['-h', PG_HOST, '-p', String(PG_PORT), '-U', PG_USER, '-d', DB_NAME, '-v', 'ON_ERROR_STOP=1', '-c', command], {
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`psql \\copy failed (${r.status}): ${r.stderr}`);
  return seconds;
}

function report(duban: ChildResult, copySeconds: number, pgVersion: string): void {
  const dubanRate = ROWS / duban.elapsedSeconds;
  const copyRate = ROWS / copySeconds;
  const ratio = dubanRate / copyRate;
  const rssMb = duban.maxRssKb / 1024;
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || '?';
  const rate = (r: number) => `${Math.round(r).toLocaleString('en')} rows/s`;
  const rows: Array<[string, string, string, string]> = [
    ['duban ingest', `${duban.elapsedSeconds.toFixed(2)} s`, rate(dubanRate), ''],
    ['psql \\copy', `${copySeconds.toFixed(2)} s`, rate(copyRate), ''],
    ['ratio duban ÷ \\copy', '', ratio.toFixed(3), `target ≥ ${TARGET_RATIO}  ${ratio >= TARGET_RATIO ? 'PASS' : 'MISS'}`],
    ['duban peak RSS', '', `${rssMb.toFixed(1)} MB`, `target ≤ ${TARGET_RSS_MB} MB  ${rssMb <= TARGET_RSS_MB ? 'PASS' : 'MISS'}`],
  ];
  const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log('');
  console.log(`ingest benchmark: ${ROWS.toLocaleString('en')} rows, long CSV, day ${DAY}`);
  console.log(`machine: nproc ${nproc}, node ${process.version}, PostgreSQL ${pgVersion}`);
  console.log('');
  for (const r of rows) console.log(`  ${r[0].padEnd(w[0]!)}  ${r[1].padStart(w[1]!)}  ${r[2].padStart(w[2]!)}  ${r[3]}`.trimEnd());
  console.log('');
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return withClient(ADMIN_URL, fn);
}

async function inBench<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return withClient(BENCH_URL, fn);
}

function step(text: string): void {
  console.log(`• ${text}`);
}

function note(text: string): void {
  console.log(`    ${text}`);
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

main().catch((err: unknown) => {
  console.error(`bench:ingest failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exitCode = 1;
});
