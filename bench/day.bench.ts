/**
 * `npm run bench:day`: whole national days of duban's loop, day after day on the same database, each step timed next
 * to its raw limit measured in the same run on the same data. A benchmark: it prints figures and checks only that
 * every step did its whole work (every value stored, every message delivered).
 *
 * Built once, untimed, with the owner and app roles as production has them (the app role runs duban): the catalogue of
 * units.yaml synced from the configuration, then BENCH_UNITS in all in a national shape — one county (kind county) per
 * 17.5 units (2,857 at 50,000, the 7 of units.yaml among them), the rest departments (kind department) under them,
 * 16 or 17 a county — every one with a contact address, so that every unit with a problem is really written to;
 * 35 calendar days of history before the first simulated day, written by SQL from the same levels as the days'
 * values (bench/series-source.ts levelOf); VACUUM ANALYZE as the administrator; the default rules applied with
 * RulesService. The data: each series at a level between its 预警值 and 先进值 with small noise (a tenth of its range,
 * at most ±0.5 points, so that noise alone never makes a 2-point daily drop), BENCH_DROP_RATE of
 * values 5 points down (a breach the rules find, then recover from), 0.2 % not reported; the indicators whose 预警值 is
 * their 先进值 (按时办结率 and 差评按期整改率, 100: any value under it is a breach, and overdue_cases a major one) at it,
 * but for BENCH_CHRONIC_RATE of their series, which sit 0.5–2.5 points under it day after day (standing problems,
 * alerted daily). A day so raises anomalies on the order of 0.5–1 % of the series; the per-day counts say how many.
 *
 * Each run works on a copy of that database (CREATE DATABASE … TEMPLATE, untimed), so every run starts from the same
 * state. It simulates BENCH_DAYS consecutive working days by the configured calendar from Tuesday 2026-11-24: with 5,
 * Tue 11-24 … Mon 11-30, and Monday is the letter day of 2026-W49 (config letters.weekday; src/domain/letter-schedule.ts
 * weekDueOn), the day with the most work. The clock stands at each day's evening, so that a day's values are not in
 * its future and its alerts and letters are dated that day. The day's values (550,000 at 50,000 units) are CSV files in
 * a temp folder, in the long layout duban's CSV source reads, written before the runs by a process of their own
 * (bench/day-values-child.ts: the same files every run) and read through a configured CSV source as the daemon reads
 * its inbox. Each day, timed step by step, through the services the composition root builds (AppContext) and called as
 * the job handlers call them (jobs/*.job.ts):
 *   ingest     IngestService.sourcesFor, ingestDay (which refreshes the statistics), verdictsAfterChangeTo
 *   evaluate   EvaluationService.evaluateDay, triggered by the ingest run the verdict follows
 *   problems   ProblemService.absorb
 *   reconcile  ReconcileService.reconcileDay
 *   alerts     GoLiveService.holdsAlertsFor, AlertService.writeForDay
 *   letters    LetterService.issueWeek, on the letter day
 *   summary    SummaryService.writeWeek, on the letter day
 *   relay      OutboxRelay.processAll, woken as the daemon wakes it: after alerts when any were written, after the
 *              summary; to a local smtp-server sink in its own process (bench/smtp-sink-child.ts), a pool of 5
 * The day's total is the sum of its steps. Then, on the same data and unmeasured by duban's figures, the raw limits:
 *   COPY        psql `\copy` of the day's CSV file into an empty table of the same columns keyed as `observations`
 *               (as bench:ingest), the psql process timed whole
 *   window scan one query reading every value of the day and the working days before it the baseline rule's window
 *               holds (count and sum over observations WHERE day = ANY(window)), with the evaluation's session
 *               settings: what reading the evaluation's window once costs
 *   raw pool    the messages the relay sent that day, finished, handed at once to a bare nodemailer pool with the
 *               relay's options, encoding and sink, its connections already open as the relay's long-lived pool finds
 *               its own, in a process of its own (bench/raw-send-child.ts, bench/mail-sink.ts)
 * and their ratios, raw ÷ duban (1 would be duban at the limit).
 *
 * The process runs under duban's heap policy (src/heap-policy.ts), as the CLI and the daemon do.
 *
 * Output: per run, a table of the steps per day, one of the raw limits, one of the counts; then per day the min /
 * median / max over the runs of the total and of evaluate, the peak RSS of this process (duban's work only: the
 * sink, the raw sides and the CSV writer are other processes), the machine, whether the last day cost no more than the
 * first (flat across days), and one `growth` line per day (medians) from which a table over sizes can be assembled.
 *
 * Environment:
 *   BENCH_UNITS         units in all (default 50000)
 *   BENCH_DAYS          working days simulated (default 5; the calendar's years bound them)
 *   BENCH_RUNS          runs, each on a fresh copy of the built database (default 3)
 *   BENCH_DROP_RATE     share of a day's values 5 points down (default 0.001)
 *   BENCH_CHRONIC_RATE  share of the series of an indicator whose 预警值 is its 先进值 standing under it (default 0.005)
 *   BENCH_START         the first simulated day (default 2026-11-24; the first working day from it)
 *   BENCH_ADMIN_URL     where to create and drop the databases (default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_KEEP_DB=1     keep the built database, the runs' copies and the CSV folder
 *   BENCH_REUSE_DB=1    reuse a kept built database made with the same settings and migrations (else it is rebuilt)
 */
import { ChildProcess, fork, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { admin, benchDatabaseUrl, withClient } from './bench-admin';
import { median, minMedianMax } from './bench-stats';
import type { DayValuesFile, DayValuesJob } from './day-values-child';
import { Sink, startSink, WARM_UP_MESSAGES, warmUp } from './mail-sink';
import type { RawSendResult } from './raw-send-child';
import { levelOf, MISSING_RATE, spreadOf } from './series-source';
import { migrations } from '../migrations';
import { AppContext } from '../src/app-context';
import { applyHeapPolicy } from '../src/heap-policy';
import { loadEnv } from '../src/config/env';
import { DubanConfig, loadConfig } from '../src/config/load-config';
import { sourceSchema } from '../src/config/schema';
import { createDatabase } from '../src/db/database';
import { makeHistoryMonths } from '../src/db/history-months';
import { setupRoles } from '../src/db/roles';
import { addDays, Day, isDay, weekday } from '../src/domain/day';
import { weekDueOn } from '../src/domain/letter-schedule';
import { WorkingCalendar } from '../src/domain/working-calendar';
import { syncCatalogue } from '../src/services/catalogue-sync.service';
import { RulesService } from '../src/services/rules.service';

const UNITS = Number(process.env.BENCH_UNITS ?? 50_000);
const DAYS = Number(process.env.BENCH_DAYS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DROP_RATE = Number(process.env.BENCH_DROP_RATE ?? 0.001);
const CHRONIC_RATE = Number(process.env.BENCH_CHRONIC_RATE ?? 0.005);
const START: Day = process.env.BENCH_START ?? '2026-11-24';
const KEEP = process.env.BENCH_KEEP_DB === '1';
const HISTORY_DAYS = 35;
/** The noise of a value is a tenth of its series' range, of at most 10 points (series-source.ts NoiseOptions). */
const NOISE_SPREAD_CAP = 10;
/** Units per county nationally: about 2,850 county-level units among 50,000. */
const UNITS_PER_COUNTY = 17.5;
const POOL = 5;
const BUILT = 'duban_bench_day_built';
const ROLES = { owner: 'duban_bench_day_owner', app: 'duban_bench_day_app' };
/** Letters carry signed reply links, as a deployment with DUBAN_LINK_SECRET set writes them. */
const LINK_SECRET = 'bench-day-reply-link-secret-not-for-production-0000';
/** A county's departments, as a catalogue names them. */
const DEPARTMENTS = ['人社局', '市场监管局', '医保局', '公积金管理部', '不动产登记中心', '税务局', '公安局', '民政局', '卫健委', '教体局', '交通运输局', '住建局', '自然资源局', '农业农村局', '生态环境局', '商务局', '司法局'];
const logger = pino({ level: 'silent' });

const STEPS = ['ingest', 'evaluate', 'problems', 'reconcile', 'alerts', 'letters', 'summary', 'relay'] as const;
type Step = (typeof STEPS)[number];

interface DayResult {
  day: Day;
  /** The week whose letters went out that day. */
  letterWeek?: string;
  /** Milliseconds per step; 0 for a step that did not run that day. */
  ms: Record<Step, number>;
  /** The part of `relay` the alerts woke; the rest is the delivery the summary woke (the week's letters). */
  relayAlertsMs: number;
  raw: { copyMs: number; copyRows: number; scanMs: number; scanValues: number; poolMs: number; poolSent: number };
  counts: {
    values: number;
    anomalies: number;
    seriesHit: number;
    major: number;
    opened: number;
    reopened: number;
    live: number;
    confirmed: number;
    regressed: number;
    escalated: number;
    alerts: number;
    letters: number;
    assigned: number;
    unaddressed: number;
    messages: number;
  };
  /** The evaluation's rules, slowest first. */
  rules: Array<{ ruleId: string; ms: number; found: number }>;
}

const total = (d: DayResult) => STEPS.reduce((n, s) => n + d.ms[s], 0);
/** What every day runs: the whole day but the week's letters, its summary and their delivery. */
const everyDay = (d: DayResult) => d.ms.ingest + d.ms.evaluate + d.ms.problems + d.ms.reconcile + d.ms.alerts + d.relayAlertsMs;

interface Shape {
  counties: number;
  departments: number;
  fromConfig: number;
}

function appUrl(database: string): string {
  const u = new URL(benchDatabaseUrl(database));
  u.username = ROLES.app;
  u.password = '';
  return u.toString();
}

/** The catalogue's national shape: counties from units.yaml and generated, departments under them. */
function shapeOf(config: DubanConfig): Shape {
  const configCounties = config.units.filter((u) => u.kind === 'county').length;
  const counties = Math.max(0, Math.round(UNITS / UNITS_PER_COUNTY) - configCounties);
  const departments = UNITS - config.units.length - counties;
  if (departments < 0) throw new Error(`BENCH_UNITS=${UNITS} is smaller than units.yaml and its counties (${config.units.length + counties})`);
  return { counties, departments, fromConfig: config.units.length };
}

/** What the built database was made from: a kept one is reused only when this is unchanged. */
function buildKey(shape: Shape): string {
  return JSON.stringify({ units: UNITS, shape, start: START, history: HISTORY_DAYS, drop: DROP_RATE, chronic: CHRONIC_RATE, noise: NOISE_SPREAD_CAP, migration: Object.keys(migrations).at(-1) });
}

async function databaseExists(name: string): Promise<boolean> {
  return withClient(benchDatabaseUrl('postgres'), async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);
}

async function build(config: DubanConfig, shape: Shape, first: Day): Promise<void> {
  const started = Date.now();
  await admin(`DROP DATABASE IF EXISTS ${BUILT} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${BUILT}`);
  await setupRoles(benchDatabaseUrl(BUILT), ROLES);
  const { db, close } = createDatabase(appUrl(BUILT));
  let historyMs = 0;
  try {
    await syncCatalogue(db, config);
    const contact = (code: ReturnType<typeof sql>) => sql`jsonb_build_array(jsonb_build_object('name', '联络员', 'email', ${code} || '@bench.example', 'role', '联络员'))`;
    const city = config.units.find((u) => u.kind === 'city')?.code ?? null;
    await sql`INSERT INTO units (code, name, kind, parent_code, contacts)
              SELECT 'c' || g, '样本县' || g, 'county', ${city}::text, ${contact(sql`'c' || g`)}
              FROM generate_series(1, ${shape.counties}) g`.execute(db);
    // Dealt round the counties (those of units.yaml too), 16 or 17 each, named after their county.
    await sql`
      WITH c AS (SELECT row_number() OVER (ORDER BY id) AS k, code, name FROM units WHERE kind = 'county'),
           n AS (SELECT count(*) AS n FROM c)
      INSERT INTO units (code, name, kind, parent_code, contacts)
      SELECT 'd' || g, c.name || (${DEPARTMENTS}::text[])[x.j % ${DEPARTMENTS.length} + 1] || CASE WHEN x.j >= ${DEPARTMENTS.length} THEN (x.j / ${DEPARTMENTS.length} + 1)::text ELSE '' END,
             'department', c.code, ${contact(sql`'d' || g`)}
      FROM generate_series(1, ${shape.departments}) g CROSS JOIN n
      CROSS JOIN LATERAL (SELECT (g - 1) % n.n + 1 AS k, (g - 1) / n.n AS j) x
      JOIN c ON c.k = x.k
      ORDER BY g`.execute(db);
    const t = Date.now();
    // The history, from the levels the days' files are written from; random() seeded so that every build writes
    // the same values. A day a statement, in one transaction.
    await db.transaction().execute(async (tx) => {
      await sql`SELECT setseed(0.2026)`.execute(tx);
      for (let d = addDays(first, -HISTORY_DAYS); d < first; d = addDays(d, 1)) {
        // Its month's partition first, as each day's ingest would have made it.
        await makeHistoryMonths(tx, d);
        await sql`
          INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
          SELECT ${d}::date, i.id, u.id,
                 round(least(100, ${levelOf(sql`i`, sql`u`, { chronicRate: CHRONIC_RATE })} + least(${spreadOf(sql`i`)}, ${NOISE_SPREAD_CAP}) * 0.1 * (random() - 0.5)
                                 - CASE WHEN random() < ${DROP_RATE}::float8 THEN 5 ELSE 0 END)::numeric, 2),
                 0, 0
          FROM indicators_on(${first}::date) i CROSS JOIN units u
          WHERE random() >= ${MISSING_RATE}::float8
          ORDER BY i.id, u.id`.execute(tx);
      }
    });
    historyMs = Date.now() - t;
  } finally {
    await close();
  }
  // As a database's history would have been maintained by the time duban judges a new day (autovacuum).
  const v = Date.now();
  await withClient(benchDatabaseUrl(BUILT), (c) => c.query('VACUUM ANALYZE'));
  const vacuumMs = Date.now() - v;
  const built = createDatabase(appUrl(BUILT));
  try {
    await new RulesService(built.db).apply(config.rules, { by: 'bench', reason: 'bench', effectiveFrom: new WorkingCalendar(config.calendar).firstDay() });
    const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM observations`.execute(built.db);
    console.log(`built ${BUILT} in ${s(Date.now() - started)} s: ${n.rows[0]!.n.toLocaleString('en')} values of history (${s(historyMs)} s), VACUUM ANALYZE ${s(vacuumMs)} s`);
  } finally {
    await built.close();
  }
  await withClient(benchDatabaseUrl('postgres'), (c) => c.query(`COMMENT ON DATABASE ${BUILT} IS ${c.escapeLiteral(buildKey(shape))}`));
}

/** Starts a bench child with IPC and waits for its one answer and its end. */
function childAnswer<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(path.join(__dirname, script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answer: { value: T } | undefined;
    child.once('message', (m) => (answer = { value: m as T }));
    child.once('error', reject);
    // 'close' comes after the process ended and its IPC channel closed, so after its answer.
    child.once('close', (code) => (answer && code === 0 ? resolve(answer.value) : reject(new Error(`${script} exited with ${code}${answer ? '' : ', no answer'}`))));
  });
}

function s(ms: number): string {
  return (ms / 1000).toFixed(2);
}

function label(day: Day): string {
  return `${day} ${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][weekday(day)]}`;
}

function n(x: number): string {
  return x.toLocaleString('en');
}

/** Right-aligned columns after a left-aligned first one. */
function row(cells: Array<string | number>, widths: number[]): string {
  return cells.map((c, k) => (k === 0 ? String(c).padEnd(widths[0]!) : String(c).padStart(widths[k]!))).join('  ');
}

interface RunContext {
  config: DubanConfig;
  calendar: WorkingCalendar;
  days: Day[];
  files: Map<Day, DayValuesFile>;
  sink: Sink;
  /** Working days before a day that the baseline rule's window holds. */
  window: number;
}

const STEP_WIDTHS = [14, 8, 8, 8, 9, 8, 8, 8, 8, 8];

async function runOnce(k: number, ctx: RunContext): Promise<DayResult[]> {
  const name = `duban_bench_day_run${k}`;
  const t = Date.now();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  // FILE_COPY: the template's files copied whole after a checkpoint, rather than block by block through the WAL;
  // quicker for a large template, and every run starts with nothing dirty to write.
  await admin(`CREATE DATABASE ${name} TEMPLATE ${BUILT} STRATEGY FILE_COPY`);
  // The copy belongs to the administrator: the owner role takes it back, the app role gets its grants, as built.
  await setupRoles(benchDatabaseUrl(name), ROLES);
  await withClient(benchDatabaseUrl(name), (c) =>
    c.query(`CREATE SCHEMA bench_raw;
             CREATE TABLE bench_raw.copy_target (unit text NOT NULL, indicator text NOT NULL, day date NOT NULL, value numeric NOT NULL,
                                                 PRIMARY KEY (indicator, unit, day))`),
  );
  console.log('');
  console.log(`run ${k} of ${RUNS}: ${name}, a copy of ${BUILT} (${s(Date.now() - t)} s, untimed); seconds per step`);
  console.log(row(['day', 'ingest', 'evaluate', 'problems', 'reconcile', 'alerts', 'letters', 'summary', 'relay', 'total'], STEP_WIDTHS));

  let clock = new Date(0);
  const env = loadEnv({ DATABASE_URL: appUrl(name), SMTP_URL: ctx.sink.url, DUBAN_LINK_SECRET: LINK_SECRET });
  const app = AppContext.fromConfig(ctx.config, env, createDatabase(env.databaseUrl), { logger, now: () => clock });
  // The raw window scan's session, with the settings the evaluation judges under (src/db/analytic-settings.ts).
  const scan = new pg.Client({ connectionString: benchDatabaseUrl(name) });
  await scan.connect();
  await scan.query(`SET jit = off; SET work_mem = '64MB'`);
  const results: DayResult[] = [];
  try {
    for (const day of ctx.days) {
      clock = new Date(`${day}T20:00:00+08:00`);
      const r = await simulateDay(app, ctx, day, name, scan);
      results.push(r);
      console.log(row([label(day), ...STEPS.map((st) => ((st === 'letters' || st === 'summary') && !r.letterWeek ? '–' : s(r.ms[st]))), s(total(r))], STEP_WIDTHS));
    }
  } finally {
    await scan.end();
    await app.close();
    if (!KEEP) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  printRunTables(results);
  return results;
}

/** The step during which this process's peak RSS was reached: where to look when it is too high. */
let peak = { mb: 0, at: '' };
function notePeak(at: string): void {
  const mb = process.resourceUsage().maxRSS / 1024;
  if (mb > peak.mb + 1) peak = { mb, at };
}

async function simulateDay(app: AppContext, ctx: RunContext, day: Day, database: string, scan: pg.Client): Promise<DayResult> {
  const { config } = ctx;
  const services = app.services;
  const db = app.database.db;
  const ms = Object.fromEntries(STEPS.map((st) => [st, 0])) as Record<Step, number>;
  const outboxBefore = (await sql<{ id: number }>`SELECT coalesce(max(id), 0)::int AS id FROM outbox`.execute(db)).rows[0]!.id;
  const timed = async <T>(step: Step, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      ms[step] += performance.now() - t;
      notePeak(`${day} ${step}`);
    }
  };

  // ingest, as jobs/ingest.job.ts: the configured sources, the day's values, the verdicts the change calls for.
  const { runs, verdicts } = await timed('ingest', async () => {
    const sources = services.ingest.sourcesFor({});
    const runs = await services.ingest.ingestDay(day, { trigger: 'daemon', sources, logger });
    const failed = runs.filter((r) => r.status === 'failed');
    if (failed.length > 0) throw new Error(`ingest of ${day} failed: ${failed.map((f) => f.error).join('; ')}`);
    return { runs, verdicts: await services.ingest.verdictsAfterChangeTo(day, config.ingest.lookbackDays) };
  });
  // A new day later than every day judged: its own verdict only.
  if (verdicts.length !== 1 || verdicts[0]!.day !== day) throw new Error(`ingest of ${day} called for the verdicts ${JSON.stringify(verdicts)}`);
  const accepted = runs.reduce((x, r) => x + r.accepted, 0);
  const file = ctx.files.get(day)!;
  if (accepted !== file.rows) throw new Error(`ingest of ${day} accepted ${accepted} values of ${file.rows}`);

  // evaluate, as jobs/evaluate.job.ts: the verdict, then its anomalies into problems (timed apart).
  const evaluation = await timed('evaluate', () => services.evaluation.evaluateDay(day, { trigger: `ingest run ${verdicts[0]!.afterRun}` }));
  const absorbed = await timed('problems', () => services.problems.absorb(day));
  const reconciled = await timed('reconcile', () => services.reconcile.reconcileDay(day));
  // alerts, as jobs/alerts.job.ts; it wakes the relay (jobs/deliver.job.ts) only when it wrote some.
  const alerts = await timed('alerts', async () => ((await services.goLive.holdsAlertsFor(day)) ? { alerts: 0 } : services.alerts.writeForDay(day)));
  const relay = services.relay!;
  const sinkBefore = await ctx.sink.counts();
  const relayed = [alerts.alerts > 0 ? await timed('relay', () => relay.processAll()) : { delivered: 0, retried: 0, failed: 0 }];
  const relayAlertsMs = ms.relay;

  // The letters' schedule fires daily; a week's letters go out the first day it finds them due (jobs/pipeline.ts).
  const week = weekDueOn(ctx.calendar, day, config.letters.weekday);
  const before = addDays(day, -1);
  const letterWeek = week && (!ctx.calendar.covers(before) || weekDueOn(ctx.calendar, before, config.letters.weekday) !== week) ? week : undefined;
  let report = { letters: 0, assigned: 0, unaddressed: [] as string[] };
  if (letterWeek) {
    report = await timed('letters', () => services.letters.issueWeek(letterWeek));
    await timed('summary', () => services.summary.writeWeek(letterWeek));
    relayed.push(await timed('relay', () => relay.processAll()));
  }
  const delivered = relayed.reduce((x, r) => x + r.delivered, 0);
  const written = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE id > ${outboxBefore}`.execute(db)).rows[0]!.n;
  const sinkAfterRelay = await ctx.sink.counts();
  if (delivered !== written || sinkAfterRelay.accepted - sinkBefore.accepted !== written || relayed.some((r) => r.failed + r.retried > 0)) {
    throw new Error(`${day}: ${written} messages written, ${sinkAfterRelay.accepted - sinkBefore.accepted} accepted by the sink, relay ${JSON.stringify(relayed)}`);
  }

  // Raw limits, on the same data: COPY of the day's file, a scan of the evaluation's window, a bare SMTP pool.
  await scan.query('TRUNCATE bench_raw.copy_target');
  const copyMs = psqlCopy(database, file.file);
  const copyRows = Number((await scan.query('SELECT count(*) AS n FROM bench_raw.copy_target')).rows[0].n);
  if (copyRows !== file.rows) throw new Error(`${day}: \\copy loaded ${copyRows} rows of ${file.rows}`);
  await scan.query('TRUNCATE bench_raw.copy_target');
  const window = [day, ...Array.from({ length: ctx.window }, (_, j) => ctx.calendar.addWorkingDays(day, -(j + 1)))];
  const t = performance.now();
  const scanned = await scan.query<{ n: string; s: string }>('SELECT count(*) AS n, sum(value) AS s FROM observations WHERE day = ANY($1::date[])', [window]);
  const scanMs = performance.now() - t;
  const pool = written > 0 ? await childAnswer<RawSendResult>('raw-send-child.js', [benchDatabaseUrl(database), ctx.sink.url, config.delivery.from, String(POOL), String(outboxBefore)]) : { ms: 0, sent: 0, maxRssKb: 0 };
  const sinkAfterRaw = await ctx.sink.counts();
  if (pool.sent !== delivered || sinkAfterRaw.accepted - sinkAfterRelay.accepted !== (written > 0 ? pool.sent + WARM_UP_MESSAGES : 0)) throw new Error(`${day}: raw pool sent ${pool.sent} of ${delivered}`);

  const c = (
    await sql<{ stored: number; anomalies: number; series: number; major: number; live: number }>`
      SELECT (SELECT count(*) FROM observations WHERE day = ${day}::date)::int AS stored,
             (SELECT count(*) FROM anomalies WHERE day = ${day}::date AND status = 'active')::int AS anomalies,
             (SELECT count(*) FROM (SELECT DISTINCT indicator_id, unit_id FROM anomalies WHERE day = ${day}::date AND status = 'active') x)::int AS series,
             (SELECT count(*) FROM anomalies WHERE day = ${day}::date AND status = 'active' AND severity = 'major')::int AS major,
             (SELECT count(*) FROM problems WHERE state IN ('open', 'assigned', 'pending_verification'))::int AS live`.execute(db)
  ).rows[0]!;
  return {
    day,
    ...(letterWeek ? { letterWeek } : {}),
    ms,
    relayAlertsMs,
    raw: { copyMs, copyRows, scanMs, scanValues: Number(scanned.rows[0]!.n), poolMs: pool.ms, poolSent: pool.sent },
    counts: {
      values: c.stored,
      anomalies: c.anomalies,
      seriesHit: c.series,
      major: c.major,
      opened: absorbed.opened,
      reopened: absorbed.reopened,
      live: c.live,
      confirmed: reconciled.confirmed,
      regressed: reconciled.regressed,
      escalated: reconciled.escalated.length,
      alerts: alerts.alerts,
      letters: report.letters,
      assigned: report.assigned,
      unaddressed: report.unaddressed.length,
      messages: delivered,
    },
    rules: evaluation.rules.map((o) => ({ ruleId: o.ruleId, ms: o.durationMs, found: o.found })).sort((a, b) => b.ms - a.ms),
  };
}

/** psql's `\copy` of the file into the raw table, the process timed whole; milliseconds. */
function psqlCopy(database: string, file: string): number {
  const command = `\\copy bench_raw.copy_target (unit, indicator, day, value) FROM '${file.replaceAll("'", "''")}' WITH (FORMAT csv, HEADER true)`;
  const t = performance.now();
  const r = spawnSync('psql', [benchDatabaseUrl(database), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', command], { encoding: 'utf8' });
  const elapsed = performance.now() - t;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`psql \\copy failed (${r.status}): ${r.stderr}`);
  return elapsed;
}

function printRunTables(results: DayResult[]): void {
  const ratio = (raw: number, duban: number) => (duban > 0 ? (raw / duban).toFixed(2) : '–');
  const rawWidths = [14, 8, 8, 9, 8, 11, 12, 9, 8, 8, 9, 8];
  console.log('');
  console.log('raw limits, same data, seconds (raw ÷ duban: 1 would be duban at the limit)');
  console.log(row(['day', 'ingest', 'COPY', 'raw÷duban', 'evaluate', 'window scan', 'values read', 'raw÷duban', 'relay', 'raw pool', 'raw÷duban', 'messages'], rawWidths));
  for (const r of results) {
    console.log(
      row(
        [
          label(r.day),
          s(r.ms.ingest),
          s(r.raw.copyMs),
          ratio(r.raw.copyMs, r.ms.ingest),
          s(r.ms.evaluate),
          s(r.raw.scanMs),
          n(r.raw.scanValues),
          ratio(r.raw.scanMs, r.ms.evaluate),
          s(r.ms.relay),
          r.raw.poolSent > 0 ? s(r.raw.poolMs) : '–',
          ratio(r.raw.poolMs, r.ms.relay),
          n(r.raw.poolSent),
        ],
        rawWidths,
      ),
    );
  }
  const countWidths = [14, 9, 9, 10, 6, 7, 8, 7, 9, 9, 9, 6, 7, 8, 8];
  console.log('');
  console.log('counts: values stored; anomalies, the series they fall on and the major ones; problems opened and reopened, live after the day; reconciliation; messages');
  console.log(row(['day', 'values', 'anomalies', 'series hit', 'major', 'opened', 'reopened', 'live', 'confirmed', 'regressed', 'escalated', 'alerts', 'letters', 'assigned', 'messages'], countWidths));
  for (const r of results) {
    const c = r.counts;
    const share = `${n(c.seriesHit)} ${((100 * c.seriesHit) / Math.max(1, c.values)).toFixed(2)}%`;
    console.log(
      row(
        [label(r.day), n(c.values), n(c.anomalies), share, n(c.major), n(c.opened), n(c.reopened), n(c.live), n(c.confirmed), n(c.regressed), n(c.escalated), n(c.alerts), n(c.letters), n(c.assigned), n(c.messages)],
        countWidths,
      ),
    );
    if (c.unaddressed > 0) console.log(`  ${c.unaddressed} units were due a letter and have no address: the bench's catalogue is wrong`);
  }
  console.log('');
  console.log('evaluate, the three slowest rules (seconds, anomalies found)');
  for (const r of results) console.log(`${label(r.day).padEnd(14)}  ${r.rules.slice(0, 3).map((o) => `${o.ruleId} ${s(o.ms)} (${n(o.found)})`).join(', ')}`);
}

function printSummary(runs: DayResult[][], ctx: RunContext, shape: Shape, pgVersion: string, indicators: number): void {
  const days = ctx.days;
  const across = (j: number, f: (d: DayResult) => number) => runs.map((r) => f(r[j]!));
  const letterDay = runs[0]!.find((d) => d.letterWeek);
  const rssMb = process.resourceUsage().maxRSS / 1024;
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(os.availableParallelism());
  console.log('');
  console.log(
    `day benchmark: ${n(UNITS)} units (${n(shape.fromConfig)} of units.yaml, ${n(shape.counties)} counties and ${n(shape.departments)} departments generated), ` +
      `${indicators} indicators: ${n(UNITS * indicators)} series; ${days.length} working days ${days[0]} … ${days.at(-1)}` +
      `${letterDay ? `, the letters of ${letterDay.letterWeek} on ${letterDay.day}` : ', no letter day among them'}; ${RUNS} run${RUNS === 1 ? '' : 's'}, each on a copy of one database`,
  );
  console.log(`data: ${HISTORY_DAYS} days of history; noise ±${NOISE_SPREAD_CAP / 20} points at most; values 5 points down ${DROP_RATE}, missing ${MISSING_RATE}; chronic ${CHRONIC_RATE} of the series at 预警值 = 先进值`);
  console.log(`machine: nproc ${nproc}, node ${process.version}, PostgreSQL ${pgVersion}`);
  console.log('');
  console.log('per day over the runs, seconds, min / median / max');
  const w = [14, 22, 22, 22];
  console.log(row(['day', 'total', 'evaluate', 'every-day steps'], w));
  days.forEach((day, j) => console.log(row([label(day), minMedianMax(across(j, total).map((x) => x / 1000), 2), minMedianMax(across(j, (d) => d.ms.evaluate / 1000), 2), minMedianMax(across(j, everyDay).map((x) => x / 1000), 2)], w)));
  console.log('');
  console.log(`peak RSS of this process: ${rssMb.toFixed(0)} MB (duban's work; the SMTP sink, the raw sides and the CSV writer are processes of their own), reached in ${peak.at || 'the set-up'}`);
  const first = 0;
  const last = days.length - 1;
  const firstTotal = median(across(first, total));
  const lastTotal = median(across(last, total));
  const firstEvery = median(across(first, everyDay));
  const lastEvery = median(across(last, everyDay));
  const verdict = (a: number, b: number) => `${s(b)} s vs ${s(a)} s: ${b <= a ? 'yes' : 'NO'} (×${(b / a).toFixed(2)})`;
  console.log(`flat across days, the last day (${days[last]}) no dearer than the first (${days[first]}), medians:`);
  console.log(`  day total:         ${verdict(firstTotal, lastTotal)}${runs[0]![last]!.letterWeek ? '  (the last day carries the week’s letters)' : ''}`);
  console.log(`  every-day steps:   ${verdict(firstEvery, lastEvery)}  (ingest, evaluate, problems, reconcile, alerts and their delivery)`);
  console.log('');
  console.log('growth lines (medians over the runs; seconds, counts of the first run):');
  days.forEach((day, j) => {
    const m = (f: (d: DayResult) => number) => s(median(across(j, f)));
    const c = runs[0]![j]!.counts;
    console.log(
      `growth units=${UNITS} day=${day} letters=${runs[0]![j]!.letterWeek ?? 'no'} total=${m(total)} every_day=${m(everyDay)} ` +
        STEPS.map((st) => `${st}=${m((d) => d.ms[st])}`).join(' ') +
        ` copy=${m((d) => d.raw.copyMs)} scan=${m((d) => d.raw.scanMs)} pool=${m((d) => d.raw.poolMs)}` +
        ` values=${c.values} anomalies=${c.anomalies} series_hit=${c.seriesHit} live=${c.live} alerts=${c.alerts} letters_written=${c.letters} messages=${c.messages} peak_rss_mb=${rssMb.toFixed(0)}`,
    );
  });
}

async function main(): Promise<void> {
  applyHeapPolicy();
  if (!isDay(START)) throw new Error(`BENCH_START must be a day (YYYY-MM-DD), got ${START}`);
  for (const [k, v] of Object.entries({ BENCH_UNITS: UNITS, BENCH_DAYS: DAYS, BENCH_RUNS: RUNS })) if (!Number.isInteger(v) || v < 1) throw new Error(`${k} must be a positive integer`);
  const base = loadConfig();
  const calendar = new WorkingCalendar(base.calendar);
  const days: Day[] = [];
  for (let d = START; days.length < DAYS; d = addDays(d, 1)) if (calendar.isWorkingDay(d)) days.push(d);
  const shape = shapeOf(base);
  const baseline = base.rules.filter((r) => r.kind === 'baseline');
  const windowSize = baseline.length > 0 ? Math.max(...baseline.map((r) => r.window)) : 20;

  const dir = mkdtempSync(path.join(os.tmpdir(), 'duban-bench-day-'));
  // The daemon's inbox: one CSV source, a file per day picked by its default pattern (*{yyyymmdd}*.csv).
  const config: DubanConfig = {
    ...base,
    sources: [sourceSchema.parse({ name: 'bench-inbox', type: 'csv', path: dir })],
    delivery: { ...base.delivery, maxConnections: POOL },
  };
  const sink = await startSink();
  try {
    const reuse =
      process.env.BENCH_REUSE_DB === '1' &&
      (await databaseExists(BUILT)) &&
      (await withClient(benchDatabaseUrl('postgres'), async (c) => (await c.query(`SELECT shobj_description(oid, 'pg_database') AS key FROM pg_database WHERE datname = $1`, [BUILT])).rows[0]?.key)) === buildKey(shape);
    if (reuse) console.log(`reusing ${BUILT} (BENCH_REUSE_DB=1, built with the same settings)`);
    else await build(config, shape, days[0]!);

    const t = Date.now();
    const job: DayValuesJob = { databaseUrl: benchDatabaseUrl(BUILT), dir, days, levelDay: days[0]!, dropRate: DROP_RATE, chronicRate: CHRONIC_RATE, noiseSpreadCap: NOISE_SPREAD_CAP };
    const files = await childAnswer<DayValuesFile[]>('day-values-child.js', [JSON.stringify(job)]);
    console.log(`wrote ${files.length} CSV files in ${s(Date.now() - t)} s (untimed): ${files.map((f) => `${f.day} ${n(f.rows)} values, ${(f.bytes / 1e6).toFixed(1)} MB`).join('; ')}`);
    console.log(`  in ${dir}`);
    await warmUp(sink.url, config.delivery.from, POOL);

    const ctx: RunContext = { config, calendar, days, files: new Map(files.map((f) => [f.day, f])), sink, window: windowSize };
    const runs: DayResult[][] = [];
    for (let k = 1; k <= RUNS; k++) runs.push(await runOnce(k, ctx));
    const pgVersion = await withClient(benchDatabaseUrl('postgres'), async (c) => String((await c.query('SHOW server_version')).rows[0].server_version));
    printSummary(runs, ctx, shape, pgVersion, config.indicators.length);
  } finally {
    sink.close();
    if (KEEP) console.log(`kept ${BUILT}, the runs' copies and ${dir} (BENCH_KEEP_DB=1)`);
    else {
      await admin(`DROP DATABASE IF EXISTS ${BUILT} WITH (FORCE)`);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
