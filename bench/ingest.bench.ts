/**
 * `npm run bench:ingest`: duban's end-to-end CSV ingest of one million rows beside two raw limits on the same file,
 * each timed as a whole process from start to exit, BENCH_RUNS times (default 3), each side on a fresh copy of the
 * same prepared database (migrated, the catalogue synced, the day's month made, VACUUM ANALYZE):
 *   duban       `bench/ingest-child.ts`: IngestService.ingestDay with a CSV source, as the daemon's ingest runs it
 *   raw script  psql doing the same work plainly: `\copy` into a temporary table, then one INSERT joining the
 *               catalogue (unit and indicator codes to ids) into `observations` of the same schema (its key, its
 *               partitions, the packs' triggers)
 *   \copy       psql `\copy` of the file into a table of the same four columns with a primary key: the floor
 * and prints each run, min / median / max, the ratios raw ÷ duban (1: duban as fast as the raw script; target ≥ 0.7)
 * and duban's peak RSS in every run (target ≤ 200 MB). A benchmark, not a test: it checks only the row counts.
 *
 * Environment:
 *   BENCH_RUNS        runs (default 3)
 *   BENCH_ADMIN_URL   where to create and drop the bench databases (default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_KEEP_DB=1   leave the prepared database in place afterwards (for looking at plans and tables)
 *   BENCH_DB          another prefix than duban_bench for the databases, so two people can bench on one server
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import pg from 'pg';
import type { UnitConfig } from '../src/config/schema';
import { loadConfig } from '../src/config/load-config';
import { createDatabase, withDatabase } from '../src/db/database';
import { makeHistoryMonths } from '../src/db/history-months';
import { migrateToLatest } from '../src/db/migrator';
import { PROJECT_ROOT } from '../src/project-root';
import { syncCatalogue } from '../src/services/catalogue-sync.service';
import { withClient } from './bench-admin';
import { median, minMedianMax } from './bench-stats';
import type { ChildResult } from './ingest-child';

const ROWS = 1_000_000;
const DAY = '2026-11-26';
/** Noon the day after, Shanghai time: DAY is in the past, so no row is a future day. */
const NOW = '2026-11-27T04:00:00Z';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PREFIX = process.env.BENCH_DB ?? 'duban_bench';
if (!/^[a-z_][a-z0-9_]*$/.test(PREFIX)) throw new Error(`BENCH_DB must be a plain lower-case identifier, got ${PREFIX}`);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`BENCH_RUNS must be a positive integer, got ${process.env.BENCH_RUNS}`);
const PREPARED = `${PREFIX}_prepared`;
const RUN_DB = `${PREFIX}_run`;
const PG_HOST = '127.0.0.1';
const PG_PORT = 5432;
const PG_USER = 'postgres';
const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? `postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/postgres`;
const BENCH_DIR = path.join(PROJECT_ROOT, '.bench');
const CSV_FILE = path.join(BENCH_DIR, `ingest-${ROWS}.csv`);

const TARGET_RAW_RATIO = 0.7;
const TARGET_RSS_MB = 200;

interface RunResult {
  /** duban's child process, spawn to exit. */
  dubanSeconds: number;
  dubanRssMb: number;
  rawSeconds: number;
  copySeconds: number;
}

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

  step(`database ${PREPARED}: create, migrate, sync catalogue, make the day's month`);
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${PREPARED} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${PREPARED}`);
  });
  const results: RunResult[] = [];
  try {
    const prep = createDatabase(dbUrl(PREPARED));
    try {
      await migrateToLatest(prep.db);
      await prepareCatalogue(prep.db, units, indicators);
      await makeHistoryMonths(prep.db, DAY);
    } finally {
      await prep.close();
    }
    // Fresh statistics, so no side pays for the set-up.
    await withClient(dbUrl(PREPARED), (c) => c.query('VACUUM ANALYZE'));

    for (let k = 1; k <= RUNS; k++) {
      step(`run ${k} of ${RUNS}, each side on a fresh copy of ${PREPARED}`);
      const duban = await onFreshCopy(async () => {
        const t = process.hrtime.bigint();
        const child = await runChild();
        const seconds = Number(process.hrtime.bigint() - t) / 1e9;
        if (child.status !== 'succeeded') throw new Error(`ingest run ${child.status}: ${child.error ?? ''}`);
        if (child.accepted !== ROWS) throw new Error(`duban accepted ${child.accepted} rows, expected ${ROWS} (rejected ${child.rejected}, unchanged ${child.unchanged})`);
        await expectRows('observations');
        return { seconds, rssMb: child.maxRssKb / 1024 };
      });
      note(`duban       ${duban.seconds.toFixed(2)} s, peak RSS ${duban.rssMb.toFixed(0)} MB`);
      const rawSeconds = await onFreshCopy(async () => {
        const seconds = runPsql([
          'CREATE TEMP TABLE raw_staging (unit text NOT NULL, indicator text NOT NULL, day date NOT NULL, value numeric NOT NULL)',
          copyFile('raw_staging'),
          `INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
           SELECT s.day, i.id, u.id, s.value, 0, 0 FROM raw_staging s JOIN units u ON u.code = s.unit JOIN indicators i ON i.code = s.indicator`,
        ]);
        await expectRows('observations');
        return seconds;
      });
      note(`raw script  ${rawSeconds.toFixed(2)} s`);
      const copySeconds = await onFreshCopy(async () => {
        await withClient(dbUrl(RUN_DB), (c) =>
          c.query(`CREATE TABLE bench_copy_target (unit text NOT NULL, indicator text NOT NULL, day date NOT NULL, value numeric NOT NULL,
                                                   PRIMARY KEY (indicator, unit, day))`),
        );
        const seconds = runPsql([copyFile('bench_copy_target')]);
        await expectRows('bench_copy_target');
        return seconds;
      });
      note(`\\copy       ${copySeconds.toFixed(2)} s`);
      results.push({ dubanSeconds: duban.seconds, dubanRssMb: duban.rssMb, rawSeconds, copySeconds });
    }
    const pgVersion = await admin(async (c) => String((await c.query('SHOW server_version')).rows[0].server_version));
    report(results, pgVersion);
  } finally {
    await admin(async (c) => c.query(`DROP DATABASE IF EXISTS ${RUN_DB} WITH (FORCE)`));
    if (process.env.BENCH_KEEP_DB === '1') note(`kept database ${PREPARED} (BENCH_KEEP_DB=1)`);
    else await admin(async (c) => c.query(`DROP DATABASE IF EXISTS ${PREPARED} WITH (FORCE)`));
  }
}

/** `measure` against a fresh copy of the prepared database (made and checkpointed untimed), dropped afterwards. */
async function onFreshCopy<T>(measure: () => Promise<T>): Promise<T> {
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${RUN_DB} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${RUN_DB} TEMPLATE ${PREPARED}`);
    await c.query('CHECKPOINT');
  });
  try {
    return await measure();
  } finally {
    await admin(async (c) => c.query(`DROP DATABASE IF EXISTS ${RUN_DB} WITH (FORCE)`));
  }
}

async function expectRows(table: 'observations' | 'bench_copy_target'): Promise<void> {
  const n = await withClient(dbUrl(RUN_DB), async (c) => Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n));
  if (n !== ROWS) throw new Error(`${table} holds ${n} rows, expected ${ROWS}`);
}

/** psql's `\copy` of the CSV file into `table`'s four columns: what both raw sides read the file with. */
function copyFile(table: 'raw_staging' | 'bench_copy_target'): string {
  return `\\copy ${table} (unit, indicator, day, value) FROM '${CSV_FILE.replaceAll("'", "''")}' WITH (FORMAT csv, HEADER true)`;
}

function dbUrl(name: string): string {
  return withDatabase(ADMIN_URL, name);
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
    const child = spawn(process.execPath, [script, dbUrl(RUN_DB), CSV_FILE, DAY, NOW], {
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

/** psql running `commands` in one session against the run's database, the process timed from start to exit. */
function runPsql(commands: string[]): number {
  const args = ['-h', PG_HOST, '-p', String(PG_PORT), '-U', PG_USER, '-d', RUN_DB, '-v', 'ON_ERROR_STOP=1', ...commands.flatMap((c) => ['-c', c])];
  const t = process.hrtime.bigint();
  const r = spawnSync('psql', args, { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`psql failed (${r.status}): ${r.stderr}`);
  return seconds;
}

function report(results: RunResult[], pgVersion: string): void {
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || '?';
  const col = (f: (r: RunResult) => number) => results.map(f);
  const rawRatio = col((r) => r.rawSeconds / r.dubanSeconds);
  const copyRatio = col((r) => r.copySeconds / r.dubanSeconds);
  const rss = col((r) => r.dubanRssMb);
  const worstRatio = Math.min(...rawRatio);
  const worstRss = Math.max(...rss);
  const rate = (seconds: number) => `${Math.round(ROWS / seconds).toLocaleString('en')} rows/s`;
  console.log('');
  console.log(`ingest benchmark: ${ROWS.toLocaleString('en')} rows, long CSV, day ${DAY}; ${RUNS} runs, each side a whole process on a fresh copy of one database`);
  console.log(`machine: nproc ${nproc}, node ${process.version}, PostgreSQL ${pgVersion}`);
  console.log('');
  console.log('  run   duban   raw script   \\copy   raw ÷ duban   \\copy ÷ duban   duban peak RSS');
  results.forEach((r, k) =>
    console.log(
      `  ${String(k + 1).padStart(3)}  ${r.dubanSeconds.toFixed(2).padStart(6)}  ${r.rawSeconds.toFixed(2).padStart(11)}  ${r.copySeconds.toFixed(2).padStart(6)}` +
        `  ${rawRatio[k]!.toFixed(2).padStart(12)}  ${copyRatio[k]!.toFixed(2).padStart(14)}  ${r.dubanRssMb.toFixed(0).padStart(11)} MB`,
    ),
  );
  console.log('');
  console.log('  min / median / max');
  console.log(`  duban, seconds            ${minMedianMax(col((r) => r.dubanSeconds), 2)}  (median ${rate(median(col((r) => r.dubanSeconds)))})`);
  console.log(`  raw script, seconds       ${minMedianMax(col((r) => r.rawSeconds), 2)}`);
  console.log(`  \\copy, seconds            ${minMedianMax(col((r) => r.copySeconds), 2)}`);
  console.log(`  raw ÷ duban               ${minMedianMax(rawRatio, 2)}   target ≥ ${TARGET_RAW_RATIO} in every run: ${worstRatio >= TARGET_RAW_RATIO ? 'PASS' : 'MISS'}`);
  console.log(`  \\copy ÷ duban             ${minMedianMax(copyRatio, 2)}`);
  console.log(`  duban peak RSS, MB        ${minMedianMax(rss, 0)}   target ≤ ${TARGET_RSS_MB} MB in every run: ${worstRss <= TARGET_RSS_MB ? 'PASS' : 'MISS'}`);
  console.log('');
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return withClient(ADMIN_URL, fn);
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
