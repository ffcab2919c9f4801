/**
 * `npm run bench:evaluate`: the time duban takes to judge one day with the default rules over 50,000 units × 11
 * indicators with 35 days of history, next to one hand-written SQL query computing the baseline statistic (median
 * and MAD over the trailing 20 working days of every series) on the same data. A benchmark: it prints figures.
 *
 * Environment: BENCH_UNITS (default 50000), BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_KEEP_DB=1 to keep the database afterwards.
 */
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/config/load-config';
import { createDatabase } from '../src/db/database';
import { migrateToLatest } from '../src/db/migrator';
import { addDays } from '../src/domain/day';
import { WorkingCalendar } from '../src/domain/working-calendar';
import { EvaluationService } from '../src/services/evaluation.service';
import { RulesService } from '../src/services/rules.service';
import { syncCatalogue } from '../src/services/catalogue-sync.service';

const UNITS = Number(process.env.BENCH_UNITS ?? 50_000);
const DAY = '2026-11-26';
const HISTORY_DAYS = 35;
const DB = 'duban_bench_evaluate';
const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET = 2;

async function main(): Promise<void> {
  const config = loadConfig();
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB}`;
  const { db, close } = createDatabase(url.toString());
  try {
    await migrateToLatest(db);
    await syncCatalogue(db, config);
    let t = Date.now();
    await sql`INSERT INTO units (code, name, kind, parent_code)
              SELECT 'u' || g, '单位' || g, 'county', 'xuancheng' FROM generate_series(1, ${UNITS - config.units.length}) g`.execute(db);
    // Every series sits between its alert and benchmark values, with noise; a few values fall under.
    await sql`
      INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
      SELECT d::date, i.id, u.id,
             round(least(100, i.alert_value + (coalesce(i.benchmark_value, 100) - i.alert_value) * (0.2 + random())
                        - CASE WHEN random() < 0.01 THEN 5 ELSE 0 END)::numeric, 2),
             0, 0
      FROM generate_series(${addDays(DAY, -(HISTORY_DAYS - 1))}::date, ${DAY}::date, '1 day') d
      CROSS JOIN indicators i CROSS JOIN units u`.execute(db);
    await sql`VACUUM ANALYZE`.execute(db);
    const rows = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM observations`.execute(db)).rows[0]!.n;
    console.log(`data: ${UNITS.toLocaleString('en')} units × ${config.indicators.length} indicators × ${HISTORY_DAYS} days = ${rows.toLocaleString('en')} values (${secs(Date.now() - t)})`);

    await new RulesService(db).apply(config.rules, { by: 'bench', reason: 'bench', effectiveFrom: '2026-01-01' });
    const evaluation = new EvaluationService({ db, config, logger: pino({ level: 'silent' }) });
    t = Date.now();
    const summary = await evaluation.evaluateDay(DAY, { trigger: 'bench' });
    const dubanMs = Date.now() - t;
    for (const r of summary.rules) console.log(`  ${r.ruleId.padEnd(22)} ${String(r.found).padStart(8)} anomalies`);

    const calendar = new WorkingCalendar(config.calendar);
    const window = Array.from({ length: 20 }, (_, k) => calendar.addWorkingDays(DAY, -(k + 1)));
    t = Date.now();
    await sql`
      WITH hist AS (SELECT indicator_id, unit_id, value FROM observations WHERE day = ANY(${window}::date[])),
      med AS (SELECT indicator_id, unit_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS m FROM hist GROUP BY 1, 2)
      SELECT count(*) FROM (
        SELECT h.indicator_id, h.unit_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(h.value - med.m)) AS mad
        FROM hist h JOIN med ON med.indicator_id = h.indicator_id AND med.unit_id = h.unit_id GROUP BY 1, 2) x`.execute(db);
    const rawMs = Date.now() - t;

    const ratio = dubanMs / rawMs;
    console.log('');
    console.log(`evaluate benchmark: one day, ${config.rules.length} default rules, machine: node ${process.version}`);
    console.log(`  duban evaluate (all rules, anomalies written)   ${secs(dubanMs).padStart(9)}`);
    console.log(`  hand-written SQL (baseline median + MAD only)   ${secs(rawMs).padStart(9)}`);
    console.log(`  ratio duban ÷ SQL                                ${ratio.toFixed(2).padStart(9)}  target ≤ ${TARGET}  ${ratio <= TARGET ? 'PASS' : 'MISS'}`);
  } finally {
    await close();
    if (process.env.BENCH_KEEP_DB !== '1') await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
}

async function admin(statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
