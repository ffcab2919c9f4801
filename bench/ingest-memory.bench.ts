/**
 * `npm run bench:ingest-memory`: the peak RSS of duban's real ingest (bench/ingest-child.ts, a process of its own) on
 * the two inputs that must not take memory with them:
 *   - a 100 MB CSV (1 million values, each row with a note column of ~55 bytes that is ignored);
 *   - a file whose second line is one 300 MB line (then good rows), which is rejected as it streams.
 * Each is run 3 times (min / median / max). The limit is 300 MB peak RSS; the figures are printed, and the bench exits
 * 1 if any run passes it or accounts for its cells wrongly. As raw reference in the same run: the RSS of a process that
 * only reads the same file through the same decoder (the floor any reader pays).
 *
 * Environment: BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_DB (default
 * duban_bench_memory).
 */
import { median, minMedianMax as spread } from './bench-stats';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { UnitConfig } from '../src/config/schema';
import { loadConfig } from '../src/config/load-config';
import { createDatabase } from '../src/db/database';
import { migrateToLatest } from '../src/db/migrator';
import { PROJECT_ROOT } from '../src/project-root';
import { syncCatalogue } from '../src/services/catalogue-sync.service';
import { ADMIN_URL, benchDatabaseUrl, withClient } from './bench-admin';
import type { ChildResult } from './ingest-child';

const DAY = '2026-11-26';
const NOW = '2026-11-27T04:00:00Z';
const LIMIT_MB = 300;
const RUNS = 3;
const DB_NAME = process.env.BENCH_DB ?? 'duban_bench_memory';
if (!/^[a-z_][a-z0-9_]*$/.test(DB_NAME)) throw new Error(`BENCH_DB must be a plain lower-case identifier, got ${DB_NAME}`);
const BENCH_URL = benchDatabaseUrl(DB_NAME);
const DIR = path.join(PROJECT_ROOT, '.bench');
const UNITS = 90_910;
const BIG = path.join(DIR, 'memory-100mb.csv');
const LONG_LINE = path.join(DIR, 'memory-300mb-line.csv');

interface Case {
  name: string;
  file: string;
  cells: number;
  kept: number;
}

async function main(): Promise<void> {
  const { indicators } = loadConfig();
  const units = Array.from({ length: UNITS }, (_, k): UnitConfig => {
    const num = String(k + 1).padStart(6, '0');
    return { code: `u${num}`, name: `单位${num}`, kind: 'county', aliases: [], contacts: [] };
  });
  mkdirSync(DIR, { recursive: true });
  const values = UNITS * indicators.length;
  if (!existsSync(BIG)) await writeBig(units.map((u) => u.code), indicators.map((i) => i.code));
  if (!existsSync(LONG_LINE)) await writeLongLine(indicators[0]!.code);
  const cases: Case[] = [
    { name: `100 MB CSV (${mb(statSync(BIG).size)} MB, ${values.toLocaleString('en')} values)`, file: BIG, cells: values * 2, kept: values },
    { name: `one 300 MB line (${mb(statSync(LONG_LINE).size)} MB file)`, file: LONG_LINE, cells: 3, kept: 2 },
  ];

  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${DB_NAME}`);
  });
  let failed = false;
  try {
    const prep = createDatabase(BENCH_URL);
    try {
      await migrateToLatest(prep.db);
      await syncCatalogue(prep.db, { units, indicators, calendar: loadConfig().calendar });
    } finally {
      await prep.close();
    }
    console.log(`node ${process.version}; limit ${LIMIT_MB} MB peak RSS; ${RUNS} runs each\n`);
    for (const c of cases) {
      const duban: ChildResult[] = [];
      const floor: number[] = [];
      for (let k = 0; k < RUNS; k++) {
        // An empty day for each run; the ledger's append-only guard is lifted for the bench's own reset.
        await inBench(async (db) => {
          await db.query('SET session_replication_role = replica');
          await db.query('TRUNCATE observations, observation_revisions, ingest_rejects, ingest_ignored_columns, ingest_runs, ledger_events RESTART IDENTITY CASCADE');
        });
        const r = await child<ChildResult>('ingest-child.js', [BENCH_URL, c.file, DAY, NOW]);
        duban.push(r);
        floor.push((await child<{ maxRssKb: number }>('read-child.js', [c.file])).maxRssKb);
        const kept = r.accepted + r.revised + r.unchanged + r.duplicates;
        if (r.status !== 'succeeded' || r.cellsSeen !== c.cells || kept !== c.kept || r.cellsSeen !== kept + r.rejected + r.ignored) {
          console.log(`  run ${k + 1}: WRONG ${JSON.stringify(r)}`);
          failed = true;
        }
      }
      const rss = duban.map((r) => r.maxRssKb / 1024);
      const secs = duban.map((r) => r.elapsedSeconds);
      const raw = floor.map((kb) => kb / 1024);
      const last = duban.at(-1)!;
      console.log(c.name);
      console.log(`  duban ingest   peak RSS ${spread(rss)} MB; ${spread(secs, 1)} s`);
      console.log(`  read only      peak RSS ${spread(raw)} MB (same file, same decoder, nothing kept)`);
      console.log(`  ratio          ${(median(rss) / median(raw)).toFixed(2)} (duban / read only, medians)`);
      console.log(`  cells          ${last.cellsSeen.toLocaleString('en')} = kept ${(last.accepted + last.duplicates).toLocaleString('en')} + rejected ${last.rejected} + ignored ${last.ignored.toLocaleString('en')}`);
      const over = rss.filter((m) => m > LIMIT_MB).length;
      console.log(`  ${over === 0 ? 'under' : 'OVER'} the ${LIMIT_MB} MB limit in ${RUNS - over} of ${RUNS} runs\n`);
      if (over > 0) failed = true;
    }
  } finally {
    await admin(async (c) => c.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`));
  }
  if (failed) process.exitCode = 1;
}

/** 1 million values in long layout, each row with a note that no indicator reads (~100 MB). */
async function writeBig(unitCodes: string[], indicatorCodes: string[]): Promise<void> {
  const note = '已核实，数据来源于政务服务网办件库。';
  await writeFile(BIG, async (write) => {
    await write('unit,indicator,day,value,备注\n');
    let chunk = '';
    let k = 0;
    for (const unit of unitCodes) {
      for (const indicator of indicatorCodes) {
        chunk += `${unit},${indicator},${DAY},${(90 + (k++ % 1000) / 100).toFixed(2)},${note}\n`;
        if (chunk.length >= 1 << 20) {
          await write(chunk);
          chunk = '';
        }
      }
    }
    await write(chunk);
  });
}

/** A header, a good row, one line of 300 MB, a good row. */
async function writeLongLine(indicator: string): Promise<void> {
  await writeFile(LONG_LINE, async (write) => {
    await write(`unit,indicator,day,value\nu000001,${indicator},${DAY},99.5\nu000002,${indicator},${DAY},`);
    const block = '9'.repeat(1 << 20);
    for (let k = 0; k < 300; k++) await write(block);
    await write(`\nu000003,${indicator},${DAY},98.5\n`);
  });
}

async function writeFile(file: string, fill: (write: (s: string) => Promise<void>) => Promise<void>): Promise<void> {
  const tmp = `${file}.tmp`;
  const out = createWriteStream(tmp, { encoding: 'utf8' });
  await fill(async (s) => {
    if (!out.write(s)) await once(out, 'drain');
  });
  out.end();
  await once(out, 'finish');
  renameSync(tmp, file);
}

function child<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(__dirname, script), ...args], { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
    });
  });
}

const admin = <T>(fn: (c: pg.Client) => Promise<T>) => withClient(ADMIN_URL, fn);
const inBench = <T>(fn: (c: pg.Client) => Promise<T>) => withClient(BENCH_URL, fn);

const mb = (bytes: number) => (bytes / (1 << 20)).toFixed(0);

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
