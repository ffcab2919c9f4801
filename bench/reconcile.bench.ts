/**
 * `npm run bench:reconcile`: reconciliation (对账) at scale, day after day. Builds BENCH_UNITS (default 10,000) units ×
 * 11 indicators with 35 days of history, set up as production is (an owner role that migrates, the app role duban runs
 * as), then runs BENCH_DAYS (default 10) days of the daily loop through the real services — ingest (a source of
 * 110,000 values a day at 10,000 units), evaluation with the default rules, problems, reconciliation — printing each
 * step's time per day. The last day is reconciled BENCH_ROUNDS (default 3) times in a transaction that is rolled back
 * (so every round, and a rerun with BENCH_REUSE_DB=1, sees the same work), and the figures are min / median / max.
 *
 * The data: each series holds a level between its 预警值 and 先进值 with small daily noise; 1 % of values drop
 * 5 points (a breach the rules find, then recover from), 0.2 % are not reported. Nobody closes a problem, so the live
 * ones pile up day after day as they would before the checkers catch up.
 *
 * Environment: BENCH_UNITS, BENCH_DAYS, BENCH_ROUNDS, BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/
 * postgres), BENCH_KEEP_DB=1 to keep the database, BENCH_REUSE_DB=1 to measure the last day of a kept one again,
 * BENCH_TRACE=1 to print every statement of the measured rounds that took 20 ms or more, BENCH_ADMIN_ANALYZE=1 to
 * ANALYZE the three daily tables as the administrator after each day's ingest and problems (what an autovacuum that
 * happened to come at the right moment would do; for measuring code that does not refresh them itself),
 * BENCH_BASELINE=<directory> to alternate the measured rounds with another build's reconciliation on the same data
 * (the directory holds that build's `dist/`, e.g. `git archive <commit>` built with `npx tsc -p tsconfig.build.json`),
 * BENCH_STALE=1 to time, after the rounds, the evaluation of the next day's values written without a statistics
 * refresh (once: minutes at 10,000 units) and with one (BENCH_ROUNDS times), each in a transaction rolled back.
 *
 * Before and after, the same data (docs/problems.md#reconciliation-at-scale):
 *   git archive HEAD | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/ && (cd /tmp/before && npx tsc -p tsconfig.build.json)
 *   BENCH_BASELINE=/tmp/before npm run bench:reconcile
 */
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { admin, benchDatabaseUrl, secs } from './bench-admin';
import { generatedSeries, GeneratedSeriesSource, levelOf } from './series-source';
import { loadConfig } from '../src/config/load-config';
import { createDatabase, Db } from '../src/db/database';
import { setupRoles } from '../src/db/roles';
import { refreshStatistics } from '../src/db/table-statistics';
import { inRolledBackTransaction } from '../src/db/transactions';
import { addDays, Day, dayRange } from '../src/domain/day';
import { syncCatalogue } from '../src/services/catalogue-sync.service';
import { EvaluationService } from '../src/services/evaluation.service';
import { IngestService } from '../src/services/ingest.service';
import { ProblemService } from '../src/services/problem.service';
import { ReconcileService, ReconcileSummary } from '../src/services/reconcile.service';
import { RulesService } from '../src/services/rules.service';

const UNITS = Number(process.env.BENCH_UNITS ?? 10_000);
const SIMULATED = Number(process.env.BENCH_DAYS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DAY: Day = '2026-11-26';
const HISTORY_DAYS = 35;
const DB = 'duban_bench_reconcile';
const ROLES = { owner: 'duban_bench_owner', app: 'duban_bench_app' };
const logger = pino({ level: 'silent' });

function appUrl(): string {
  const u = new URL(benchDatabaseUrl(DB));
  u.username = ROLES.app;
  u.password = '';
  return u.toString();
}

async function build(config: ReturnType<typeof loadConfig>): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB}`);
  await setupRoles(benchDatabaseUrl(DB), ROLES);
  const { db, close } = createDatabase(appUrl());
  try {
    const t = Date.now();
    await syncCatalogue(db, config);
    await sql`INSERT INTO units (code, name, kind, parent_code)
              SELECT 'u' || g, '单位' || g, 'county', 'xuancheng' FROM generate_series(1, ${UNITS - config.units.length}) g`.execute(db);
    // The history before the simulated days, written directly (as the evaluation bench does), from the same levels;
    // random() seeded, so that every build writes the same values.
    await db.transaction().execute(async (tx) => {
      await sql`SELECT setseed(0.2026)`.execute(tx);
      await sql`
        INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
        SELECT d::date, i.id, u.id,
               round(least(100, ${levelOf(sql`i`, sql`u`)} + (coalesce(i.benchmark_value, 100) - i.alert_value) * 0.1 * (random() - 0.5)
                               - CASE WHEN random() < 0.01 THEN 5 ELSE 0 END)::numeric, 2),
               0, 0
        FROM generate_series(${addDays(DAY, -(HISTORY_DAYS - 1))}::date, ${addDays(DAY, -SIMULATED)}::date, '1 day') d
        CROSS JOIN indicators_on(${DAY}::date) i CROSS JOIN units u ORDER BY d, i.id, u.id`.execute(tx);
    });
    await new RulesService(db).apply(config.rules, { by: 'bench', reason: 'bench', effectiveFrom: '2026-01-01' });
    console.log(`built: ${UNITS.toLocaleString('en')} units, ${HISTORY_DAYS - SIMULATED} days of history (${secs(Date.now() - t)})`);
  } finally {
    await close();
  }
  // As a database's history would have been maintained by the time duban judges a new day (autovacuum).
  await withAdminOf(DB, (c) => c.query('VACUUM ANALYZE'));
}

async function withAdminOf<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: benchDatabaseUrl(database) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Statements of `fn` that took `minMs` or more, as the server saw them from this process (BENCH_TRACE=1). */
async function traced<T>(fn: () => Promise<T>, minMs = 20): Promise<T> {
  if (process.env.BENCH_TRACE !== '1') return fn();
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const started = Date.now();
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '(stream)');
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      void (result as Promise<unknown>).then(
        () => {
          const ms = Date.now() - started;
          if (ms >= minMs) console.log(`    ${String(ms).padStart(6)} ms  ${text.replace(/\s+/g, ' ').slice(0, 140)}`);
        },
        () => undefined,
      );
    }
    return result;
  };
  try {
    return await fn();
  } finally {
    proto.query = original;
  }
}

/**
 * BENCH_STALE=1: the day after the last one written as the ingest writes it (a copy of the last day's values), then
 * judged with the planner's statistics ending the day before, and again after `refreshStatistics`, as the ingest
 * now leaves them. Both in transactions rolled back.
 */
async function staleEvaluation(db: Db, config: ReturnType<typeof loadConfig>): Promise<void> {
  const next = addDays(DAY, 1);
  const evaluation = new EvaluationService({ db, config, logger });
  const judge = (refresh: boolean) =>
    inRolledBackTransaction(db, async (tx) => {
      await sql`INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
                SELECT ${next}::date, indicator_id, unit_id, value, 0, 0 FROM observations WHERE day = ${DAY}::date`.execute(tx);
      if (refresh) await refreshStatistics(tx, ['observations']);
      const t = Date.now();
      await evaluation.evaluateDay(next, { trigger: 'bench', within: tx });
      return Date.now() - t;
    });
  console.log('');
  console.log(`evaluation of ${next}, written without a statistics refresh: ${secs(await judge(false))}`);
  const ms: number[] = [];
  for (let round = 0; round < ROUNDS; round++) ms.push(await judge(true));
  ms.sort((a, b) => a - b);
  console.log(`evaluation of ${next}, statistics refreshed: min ${secs(ms[0]!)}   median ${secs(ms[Math.floor(ms.length / 2)]!)}   max ${secs(ms.at(-1)!)}`);
}

/** BENCH_ADMIN_ANALYZE=1: the administrator analyzes, untimed. */
async function adminAnalyze(tables: string): Promise<void> {
  if (process.env.BENCH_ADMIN_ANALYZE === '1') await withAdminOf(DB, (c) => c.query(`ANALYZE ${tables}`));
}

async function counts(db: Db) {
  const r = await sql<{ live: number; value: number; anomalies: number; observations: number }>`
    SELECT (SELECT count(*) FROM problems WHERE state IN ('open', 'assigned', 'pending_verification'))::int AS live,
           (SELECT count(*) FROM problems WHERE state IN ('open', 'assigned', 'pending_verification') AND kind = 'value')::int AS value,
           (SELECT count(*) FROM anomalies)::int AS anomalies, (SELECT count(*) FROM observations)::int AS observations`.execute(db);
  return r.rows[0]!;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const reuse = process.env.BENCH_REUSE_DB === '1' && (await withAdminOf('postgres', async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB])).rowCount === 1));
  if (!reuse) await build(config);
  else await setupRoles(benchDatabaseUrl(DB), ROLES); // migrates a kept database to this tree's schema
  const { db, pool, close } = createDatabase(appUrl());
  const services = {
    ingest: new IngestService({ db, pool, config: { ...config, sources: [] }, logger, now: () => new Date('2026-12-01T04:00:00Z') }),
    evaluation: new EvaluationService({ db, config, logger }),
    problems: new ProblemService({ db, config, logger }),
    reconcile: new ReconcileService({ db, config, logger }),
  };
  try {
    const days = dayRange(addDays(DAY, -(SIMULATED - 1)), DAY);
    if (!reuse) {
      const source = new GeneratedSeriesSource('bench', await generatedSeries(db, DAY));
      console.log('');
      if (process.env.BENCH_ADMIN_ANALYZE === '1') console.log('(the administrator analyzes observations after each ingest, anomalies and problems after each day’s problems: untimed)');
      console.log('day          ingest   evaluate   problems  reconcile   confirmed regressed escalated  live problems');
      for (const day of days) {
        const t0 = Date.now();
        const [run] = await services.ingest.ingestDay(day, { trigger: 'bench', sources: [source] });
        if (run!.status !== 'succeeded') throw new Error(run!.error);
        await adminAnalyze('observations');
        const t1 = Date.now();
        await services.evaluation.evaluateDay(day, { trigger: `ingest run ${run!.runId}` });
        const t2 = Date.now();
        await services.problems.absorb(day);
        await adminAnalyze('anomalies, problems');
        const t3 = Date.now();
        // The last day is measured below, in rounds that roll back.
        const s: ReconcileSummary | undefined = day === DAY ? undefined : await services.reconcile.reconcileDay(day);
        const t4 = Date.now();
        const live = (await counts(db)).live;
        console.log(
          `${day}  ${secs(t1 - t0).padStart(8)} ${secs(t2 - t1).padStart(9)} ${secs(t3 - t2).padStart(9)} ${(s ? secs(t4 - t3) : '(below)').padStart(10)}` +
            `   ${String(s?.confirmed ?? '').padStart(9)} ${String(s?.regressed ?? '').padStart(9)} ${String(s?.escalated.length ?? '').padStart(9)}  ${String(live).padStart(13)}`,
        );
      }
    }
    const c = await counts(db);
    console.log('');
    console.log(`last day ${DAY}: ${c.live.toLocaleString('en')} live problems (${c.value.toLocaleString('en')} of values), ${c.anomalies.toLocaleString('en')} anomalies, ${c.observations.toLocaleString('en')} values`);
    const builds: Array<{ name: string; service: typeof ReconcileService }> = [{ name: 'this build', service: ReconcileService }];
    if (process.env.BENCH_BASELINE) {
      const dir = path.resolve(process.env.BENCH_BASELINE);
      builds.push({ name: 'baseline', service: require(path.join(dir, 'dist/src/services/reconcile.service.js')).ReconcileService });
      console.log(`baseline: ${dir}`);
    }
    const runs = builds.map(() => [] as Array<{ ms: number; summary: ReconcileSummary }>);
    // Alternating rounds: this machine's speed drifts from one minute to the next.
    for (let round = 0; round < ROUNDS; round++) {
      for (const [b, build] of builds.entries()) {
        const t = Date.now();
        const summary = await traced(() => inRolledBackTransaction(db, (tx) => new build.service({ db: tx, config, logger }).reconcileDay(DAY)));
        runs[b]!.push({ ms: Date.now() - t, summary });
        console.log(`  round ${round + 1}, ${build.name}: reconcile ${secs(Date.now() - t)} (confirmed ${summary.confirmed}, regressed ${summary.regressed}, escalated ${summary.escalated.length})`);
      }
    }
    console.log('');
    console.log(`reconcile benchmark: ${UNITS.toLocaleString('en')} units, one day's reconciliation, ${ROUNDS} rounds each, node ${process.version}`);
    for (const [b, build] of builds.entries()) {
      const ms = runs[b]!.map((r) => r.ms).sort((x, y) => x - y);
      console.log(`  ${build.name.padEnd(10)}  min ${secs(ms[0]!)}   median ${secs(ms[Math.floor(ms.length / 2)]!)}   max ${secs(ms.at(-1)!)}`);
    }
    // Every round of every build came to the same summary (the ids of the problems escalated included).
    const decisions = new Set(runs.flat().map(({ summary: s }) => JSON.stringify({ ...s, escalated: s.escalated.map((e) => e.problemId) })));
    console.log(`  the same summary (confirmed, regressed, problems escalated) in every round: ${decisions.size === 1 ? 'yes' : 'NO'}`);
    if (process.env.BENCH_STALE === '1') await staleEvaluation(db, config);
  } finally {
    await close();
    if (process.env.BENCH_KEEP_DB !== '1') await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
