/**
 * `npm run bench:evaluate`: the time duban takes to judge one day with the default rules over 50,000 units × 11
 * indicators with 35 days of history, next to one hand-written SQL query computing the baseline statistic (median
 * and MAD over the trailing 20 working days of every series) on the same data. A benchmark: it prints figures.
 *
 * Environment: BENCH_UNITS (default 50000), BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_KEEP_DB=1 to keep the database afterwards, BENCH_REUSE_DB=1 to judge the data a kept run left (building
 * 19 million values takes minutes), BENCH_ROUNDS (default 3). Each measurement runs in a transaction that is rolled
 * back, so every round and rerun sees the same data.
 */
import { sql } from 'kysely';
import pg from 'pg';
import { ADMIN_URL, admin, benchDatabaseUrl, secs } from './bench-admin';
import pino from 'pino';
import { loadConfig } from '../src/config/load-config';
import { createDatabase } from '../src/db/database';
import { migrateToLatest } from '../src/db/migrator';
import { addDays } from '../src/domain/day';
import { WorkingCalendar } from '../src/domain/working-calendar';
import { inRolledBackTransaction } from '../src/db/transactions';
import { useAnalyticSettings } from '../src/db/analytic-settings';
import { EvaluationService, EvaluationSummary } from '../src/services/evaluation.service';
import { RulesService } from '../src/services/rules.service';
import { syncCatalogue } from '../src/services/catalogue-sync.service';

const UNITS = Number(process.env.BENCH_UNITS ?? 50_000);
const DAY = '2026-11-26';
const HISTORY_DAYS = 35;
const DB = 'duban_bench_evaluate';
const TARGET = 2;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function main(): Promise<void> {
  const config = loadConfig();
  const reuse = process.env.BENCH_REUSE_DB === '1' && (await databaseExists());
  if (!reuse) {
    await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${DB}`);
  }
  const { db, close } = createDatabase(benchDatabaseUrl(DB));
  try {
    let t = Date.now();
    if (!reuse) {
      await migrateToLatest(db);
      await syncCatalogue(db, config);
      await sql`INSERT INTO units (code, name, kind, parent_code)
                SELECT 'u' || g, '单位' || g, 'county', 'xuancheng' FROM generate_series(1, ${UNITS - config.units.length}) g`.execute(db);
      // Like the bureau's data, each series holds a level between its alert and benchmark values and moves little
      // from day to day; 1 % of values drop 5 points, which the rules are there to find.
      await sql`
        WITH series AS (
          SELECT i.id AS indicator_id, u.id AS unit_id,
                 i.alert_value + (coalesce(i.benchmark_value, 100) - i.alert_value) * (0.3 + 0.6 * random()) AS level,
                 coalesce(i.benchmark_value, 100) - i.alert_value AS spread
          FROM indicators_on(${DAY}::date) i CROSS JOIN units u)
        INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
        SELECT d::date, s.indicator_id, s.unit_id,
               round(least(100, s.level + s.spread * 0.1 * (random() - 0.5) - CASE WHEN random() < 0.01 THEN 5 ELSE 0 END)::numeric, 2),
               0, 0
        FROM generate_series(${addDays(DAY, -(HISTORY_DAYS - 1))}::date, ${DAY}::date, '1 day') d CROSS JOIN series s`.execute(db);
      await sql`VACUUM ANALYZE`.execute(db);
      await new RulesService(db).apply(config.rules, { by: 'bench', reason: 'bench', effectiveFrom: '2026-01-01' });
    }
    const units = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM units`.execute(db)).rows[0]!.n;
    const rows = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM observations`.execute(db)).rows[0]!.n;
    console.log(`data: ${units.toLocaleString('en')} units × ${config.indicators.length} indicators × ${HISTORY_DAYS} days = ${rows.toLocaleString('en')} values (${reuse ? 'reused' : secs(Date.now() - t)})`);

    const evaluation = new EvaluationService({ db, config, logger: pino({ level: 'silent' }) });
    const calendar = new WorkingCalendar(config.calendar);
    const window = Array.from({ length: 20 }, (_, k) => calendar.addWorkingDays(DAY, -(k + 1)));
    // Alternating rounds, medians compared: this machine's speed drifts by a fifth from one minute to the next.
    const dubanRuns: Array<{ ms: number; summary: EvaluationSummary }> = [];
    const rawRuns: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      t = Date.now();
      const summary = await inRolledBackTransaction(db, (tx) => evaluation.evaluateDay(DAY, { trigger: 'bench', within: tx }));
      dubanRuns.push({ ms: Date.now() - t, summary });
      t = Date.now();
      // Under the same session settings as duban's evaluation. The statistics are summed so that the planner cannot
      // drop them: with only count(*) asked for, it prunes both percentiles and the query measures nothing.
      await inRolledBackTransaction(db, async (tx) => {
        await useAnalyticSettings(tx);
        await sql`
          WITH hist AS (SELECT indicator_id, unit_id, value FROM observations WHERE day = ANY(${window}::date[])),
          med AS (SELECT indicator_id, unit_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS m FROM hist GROUP BY 1, 2)
          SELECT count(*), sum(m), sum(mad) FROM (
            SELECT h.indicator_id, h.unit_id, med.m, percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(h.value - med.m)) AS mad
            FROM hist h JOIN med ON med.indicator_id = h.indicator_id AND med.unit_id = h.unit_id GROUP BY 1, 2, 3) x`.execute(tx);
      });
      rawRuns.push(Date.now() - t);
      console.log(`  round ${round + 1}: duban ${secs(dubanRuns[round]!.ms)}, SQL ${secs(rawRuns[round]!)}`);
    }
    const median = [...dubanRuns].sort((x, y) => x.ms - y.ms)[Math.floor(ROUNDS / 2)]!;
    const rawMs = [...rawRuns].sort((x, y) => x - y)[Math.floor(ROUNDS / 2)]!;
    console.log('');
    console.log('per rule, in the median round:');
    for (const r of median.summary.rules) {
      console.log(`  ${r.ruleId.padEnd(22)} ${String(r.found).padStart(8)} anomalies  ${secs(r.durationMs).padStart(9)}`);
    }

    const ratio = median.ms / rawMs;
    console.log('');
    console.log(`evaluate benchmark: one day, ${median.summary.rules.length} default rules, median of ${ROUNDS} rounds, machine: node ${process.version}`);
    console.log(`  duban evaluate (all rules, anomalies written)   ${secs(median.ms).padStart(9)}`);
    console.log(`  hand-written SQL (baseline median + MAD only)   ${secs(rawMs).padStart(9)}`);
    console.log(`  ratio duban ÷ SQL                                ${ratio.toFixed(2).padStart(9)}  target ≤ ${TARGET}  ${ratio <= TARGET ? 'PASS' : 'MISS'}`);
  } finally {
    await close();
    if (process.env.BENCH_KEEP_DB !== '1') await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
}

async function databaseExists(): Promise<boolean> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB])).rowCount === 1;
  } finally {
    await c.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
