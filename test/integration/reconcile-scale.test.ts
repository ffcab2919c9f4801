import { RawBuilder, sql } from 'kysely';
import { DubanConfig, loadConfig } from '../../src/config/load-config';
import { createDatabase, Db, DatabaseHandle } from '../../src/db/database';
import { refreshStatistics } from '../../src/db/table-statistics';
import { addDays, Day, dayRange } from '../../src/domain/day';
import { syncCatalogue } from '../../src/services/catalogue-sync.service';
import { EvaluationService } from '../../src/services/evaluation.service';
import { IngestService } from '../../src/services/ingest.service';
import { ProblemService } from '../../src/services/problem.service';
import { ReconcileService } from '../../src/services/reconcile.service';
import { RulesService } from '../../src/services/rules.service';
import { GeneratedSeriesSource } from '../../bench/series-source';
import { silentLogger } from '../helpers/ingest-fixture';
import { createTestDatabase, TEST_ROLES, TestDatabase } from '../helpers/test-database';

/**
 * Reconciliation and the statistics it is planned on, at a size where plans matter: 1,000 units × 11 indicators, three
 * weeks of values, a past of 3,300 closed problems with 66,000 anomalies, then eight days of the daily loop through
 * the real services (ingest, evaluation, problems, reconciliation). The plans are read as PostgreSQL ran them
 * (auto_explain, with the rows each node touched), not guessed from the SQL.
 */
const UNITS = 1000;
const DAY: Day = '2026-11-26';
const LOOP_DAYS = dayRange('2026-11-19', DAY);
const LIVE = ['open', 'assigned', 'pending_verification'];
const N = 3;

let db: TestDatabase;
let config: DubanConfig;
let ingest: IngestService;
let evaluation: EvaluationService;
let problems: ProblemService;
let source: GeneratedSeriesSource;

const level = sql`(i.alert_value + (coalesce(i.benchmark_value, 100) - i.alert_value) * (0.3 + 0.6 * ((u.id * 7919 + i.id * 104729) % 1000) / 1000.0))`;

async function loopDay(day: Day, opts: { reconcile: boolean }): Promise<void> {
  const [run] = await ingest.ingestDay(day, { trigger: 'test', sources: [source] });
  if (run!.status !== 'succeeded') throw new Error(run!.error);
  await evaluation.evaluateDay(day, { trigger: `ingest run ${run!.runId}` });
  await problems.absorb(day);
  if (opts.reconcile) await new ReconcileService({ db: db.db, config, logger: silentLogger }).reconcileDay(day);
}

beforeAll(async () => {
  db = await createTestDatabase('reconcile_scale');
  config = { ...loadConfig(), sources: [] };
  await syncCatalogue(db.db, config);
  const d = db.db;
  await sql`INSERT INTO units (code, name, kind, parent_code)
            SELECT 'u' || g, '单位' || g, 'county', 'xuancheng' FROM generate_series(1, ${UNITS - config.units.length}) g`.execute(d);
  await new RulesService(d).apply(config.rules, { by: 'test', reason: '规模测试', effectiveFrom: '2026-01-01' });
  // Three weeks of values before the loop, written directly.
  await sql`
    INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
    SELECT g::date, i.id, u.id, round(least(100, ${level} - CASE WHEN (u.id * 31 + i.id * 17 + extract(doy FROM g)::int * 13) % 100 = 0 THEN 5 ELSE 0 END)::numeric, 2), 0, 0
    FROM generate_series(${addDays(LOOP_DAYS[0]!, -21)}::date, ${addDays(LOOP_DAYS[0]!, -1)}::date, '1 day') g
    CROSS JOIN indicators_on(${DAY}::date) i CROSS JOIN units u`.execute(d);
  // A past: problems of three series in ten, closed long ago, with twenty days of anomalies each (a third superseded).
  await sql`
    WITH ev AS (INSERT INTO evaluation_runs (day, trigger, finished_at) VALUES ('2026-09-20', 'history', now()) RETURNING id),
    p AS (INSERT INTO problems (indicator_id, unit_id, kind, owner_unit_id, state, category, severity, first_seen, last_seen,
                                anomaly_count, data_confirmed, signed_off_by, closed_on)
          SELECT i.id, u.id, 'value', u.id, 'closed', 'simple', 'warning', '2026-09-01', '2026-09-20', 20, true, '历史', '2026-09-25'
          FROM indicators i CROSS JOIN units u WHERE (u.id * 31 + i.id) % 10 < 3
          RETURNING id, indicator_id, unit_id)
    INSERT INTO anomalies (rule_id, rule_version_id, indicator_id, unit_id, day, kind, severity, explanation, evaluation_id, problem_id, status)
    SELECT 'below_alert', (SELECT max(id) FROM rule_versions WHERE rule_id = 'below_alert'), p.indicator_id, p.unit_id, g::date,
           'threshold', 'warning', '历史', ev.id, p.id, CASE WHEN (p.id + extract(day FROM g)::int) % 3 = 0 THEN 'superseded' ELSE 'active' END
    FROM p CROSS JOIN ev CROSS JOIN generate_series('2026-09-01'::date, '2026-09-20'::date, '1 day') g`.execute(d);
  await refreshStatistics(d, ['observations', 'anomalies', 'problems']);

  const series = await sql<{ unit: string; indicator: string; level: number; spread: number }>`
    SELECT u.code AS unit, i.code AS indicator, ${level}::float8 AS level, (coalesce(i.benchmark_value, 100) - i.alert_value)::float8 AS spread
    FROM indicators_on(${DAY}::date) i CROSS JOIN units u ORDER BY u.id, i.id`.execute(d);
  source = new GeneratedSeriesSource('scale', series.rows);
  ingest = new IngestService({ db: d, pool: db.pool, config, logger: silentLogger, now: () => new Date('2026-12-01T04:00:00Z') });
  evaluation = new EvaluationService({ db: d, config, logger: silentLogger });
  problems = new ProblemService({ db: d, config, logger: silentLogger });
  // Every day of the loop but the last reconciled as the daemon would; the last one's reconciliation is under test.
  for (const day of LOOP_DAYS) await loopDay(day, { reconcile: day !== DAY });
}, 300_000);
afterAll(() => db?.drop());

/** A plan as auto_explain logs it (FORMAT JSON, ANALYZE): each node with what it estimated and what it did. */
interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Plan Rows': number;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/**
 * The rows each node read from `table` over all its loops, plus the rows Materialize nodes above it handed out again:
 * a table scanned, or materialized and rescanned, once per outer row (a nested loop over it) counts every time.
 */
function rowsTouched(plan: PlanNode, table: string): number {
  const reads = (n: PlanNode) => n['Relation Name'] === table;
  return nodes(plan).reduce((sum, n) => {
    if (reads(n)) return sum + (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops'];
    if (n['Node Type'] === 'Materialize' && nodes(n).some(reads)) return sum + n['Actual Rows'] * n['Actual Loops'];
    return sum;
  }, 0);
}

/** Runs `fn` on one connection, as the app role, with every statement's executed plan collected. */
async function withPlans<T>(fn: (db: Db) => Promise<T>): Promise<{ result: T; plans: Array<{ query: string; plan: PlanNode }> }> {
  const handle: DatabaseHandle = createDatabase(db.adminUrl, { max: 1 });
  const messages: string[] = [];
  handle.pool.on('connect', (client) => client.on('notice', (n) => messages.push(n.message ?? '')));
  try {
    // auto_explain is the superuser's to load and set; the statements then run as the app role.
    await sql`LOAD 'auto_explain'`.execute(handle.db);
    for (const [k, v] of Object.entries({ log_min_duration: '0', log_analyze: 'on', log_timing: 'off', log_format: 'json', log_level: 'notice' })) {
      await sql`SELECT set_config(${`auto_explain.${k}`}, ${v}, false)`.execute(handle.db);
    }
    await sql`SET ROLE ${sql.id(TEST_ROLES.app)}`.execute(handle.db);
    messages.length = 0;
    const result = await fn(handle.db);
    const plans = messages
      .filter((m) => m.includes('plan:'))
      .map((m) => JSON.parse(m.slice(m.indexOf('{'))) as { 'Query Text': string; Plan: PlanNode })
      .map((p) => ({ query: p['Query Text'], plan: p.Plan }));
    return { result, plans };
  } finally {
    await handle.close();
  }
}

async function count(query: RawBuilder<{ n: number }>): Promise<number> {
  return (await query.execute(db.db)).rows[0]!.n;
}

/** What the planner expects `query` to return, and what it does. */
async function estimate(query: string): Promise<{ estimated: number; actual: number }> {
  const r = await sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>`EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${sql.raw(query)}`.execute(db.db);
  const plan = r.rows[0]!['QUERY PLAN'][0]!.Plan;
  return { estimated: plan['Plan Rows'], actual: plan['Actual Rows'] };
}

/** Within a factor of two. */
function near({ estimated, actual }: { estimated: number; actual: number }): boolean {
  return estimated >= actual / 2 && estimated <= actual * 2;
}

describe('reconciliation at scale', () => {
  it('reads the evidence of every live problem in a few statements, each anomaly and value it needs once', async () => {
    const live = await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM problems WHERE state = ANY(${LIVE}::text[])`);
    const liveValue = await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM problems WHERE state = ANY(${LIVE}::text[]) AND kind = 'value'`);
    const standing = await count(sql<{ n: number }>`
      SELECT count(*)::int AS n FROM anomalies a JOIN problems p ON p.id = a.problem_id WHERE p.state = ANY(${LIVE}::text[]) AND a.status = 'active'`);
    const anomalies = await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM anomalies`);
    // The size this is about: live problems in the thousands, most anomalies long past.
    expect(live).toBeGreaterThan(300);
    expect(anomalies).toBeGreaterThan(10 * standing);

    // As autovacuum keeps it (here it may not have come by yet): the pages all-visible, so an index answers alone.
    await sql`VACUUM anomalies`.execute(db.admin().db);
    const { result, plans } = await withPlans((tx) => new ReconcileService({ db: tx, config, logger: silentLogger }).reconcileDay(DAY));
    expect(result.confirmed).toBeGreaterThan(50);
    // A handful of statements (17 here) for thousands of problems: none per problem (the ledger's inserts go 2,000
    // events at a time).
    expect(plans.length).toBeLessThanOrEqual(24 + 2 * Math.ceil((result.confirmed + result.regressed) / 2000));

    const touched = (table: string) => plans.reduce((n, p) => n + rowsTouched(p.plan, table), 0);
    // Each standing breach of a live problem read once, from the index of standing breaches alone, never the past.
    expect(touched('anomalies')).toBeLessThanOrEqual(2 * standing);
    const standingReads = plans.flatMap((p) => nodes(p.plan)).filter((n) => n['Index Name'] === 'anomalies_standing');
    expect(standingReads.map((n) => n['Node Type'])).toEqual(['Index Only Scan']);
    // Each window day of each live value problem probed once by the primary key; the latest day read off its end.
    expect(touched('observations')).toBeLessThanOrEqual(N * liveValue + 10);
    // Planned on the right numbers: reconciliation refreshed the statistics of the day's anomalies and problems first.
    const liveScan = plans.flatMap((p) => nodes(p.plan)).find((n) => n['Relation Name'] === 'problems' && n['Actual Rows'] === live);
    expect(liveScan).toBeDefined();
    const liveEstimate = { estimated: liveScan!['Plan Rows'], actual: live };
    expect({ ...liveEstimate, near: near(liveEstimate) }).toEqual({ ...liveEstimate, near: true });
    const dayAnomalies = await estimate(`SELECT * FROM anomalies WHERE day = '${DAY}' AND status = 'active'`);
    expect(dayAnomalies.actual).toBeGreaterThan(50);
    expect({ ...dayAnomalies, near: near(dayAnomalies) }).toEqual({ ...dayAnomalies, near: true });
  });

  it('counts a plan that loops over a table as touching it on every loop', () => {
    const scan = (rows: number, loops: number): PlanNode => ({ 'Node Type': 'Seq Scan', 'Relation Name': 'anomalies', 'Plan Rows': 1, 'Actual Rows': rows, 'Actual Loops': loops });
    const loop = (inner: PlanNode): PlanNode => ({
      'Node Type': 'Nested Loop',
      'Plan Rows': 1,
      'Actual Rows': 10,
      'Actual Loops': 1,
      Plans: [{ 'Node Type': 'Function Scan', 'Plan Rows': 1, 'Actual Rows': 1000, 'Actual Loops': 1 }, inner],
    });
    expect(rowsTouched(loop({ ...scan(0, 1000), 'Rows Removed by Filter': 5000 }), 'anomalies')).toBe(5_000_000);
    expect(rowsTouched(loop({ 'Node Type': 'Materialize', 'Plan Rows': 1, 'Actual Rows': 5000, 'Actual Loops': 1000, Plans: [scan(5000, 1)] }), 'anomalies')).toBe(5_005_000);
    expect(rowsTouched(loop({ 'Node Type': 'Hash', 'Plan Rows': 1, 'Actual Rows': 5000, 'Actual Loops': 1, Plans: [scan(5000, 1)] }), 'anomalies')).toBe(5000);
  });

  it('lets the app role refresh the statistics of the daily tables through the owner’s function, and of no other', async () => {
    const owners = await sql<{ owns: boolean }>`
      SELECT bool_or(pg_has_role(current_user, tableowner, 'MEMBER')) AS owns FROM pg_tables
      WHERE schemaname = 'public' AND tablename IN ('observations', 'anomalies', 'problems')`.execute(db.db);
    expect(owners.rows[0]!.owns).toBe(false);
    expect(await refreshStatistics(db.db, ['observations', 'anomalies', 'problems'])).toEqual(['observations', 'anomalies', 'problems']);
    await expect(sql`SELECT duban_refresh_statistics('ledger_events')`.execute(db.db)).rejects.toThrow(/不能刷新表 ledger_events/);
    // Only the app role was given it: not PUBLIC.
    const acl = await sql<{ grantee: string }>`
      SELECT coalesce(r.rolname, 'PUBLIC') AS grantee FROM pg_proc p CROSS JOIN LATERAL aclexplode(p.proacl) a
      LEFT JOIN pg_roles r ON r.oid = a.grantee WHERE p.proname = 'duban_refresh_statistics' AND a.privilege_type = 'EXECUTE'`.execute(db.db);
    expect(acl.rows.map((r) => r.grantee).sort()).toEqual([TEST_ROLES.app, TEST_ROLES.owner].sort());
  });

  it('knows a day’s values as soon as they are ingested (and would not from a write alone)', async () => {
    const byDay = (day: Day) => `SELECT * FROM observations WHERE day = '${day}'`;
    // Written without a refresh, as before: the day is past the end of the statistics, taken to hold a row or so.
    await sql`INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
              SELECT '2026-11-27', indicator_id, unit_id, value, 0, 0 FROM observations WHERE day = ${DAY}`.execute(db.db);
    const stale = await estimate(byDay('2026-11-27'));
    expect(stale.actual).toBeGreaterThan(10_000);
    expect(stale.estimated).toBeLessThan(stale.actual / 100);

    // Ingested: the statistics follow at once, for this day and the one written before it.
    await ingest.ingestDay('2026-11-28', { trigger: 'test', sources: [source] });
    for (const day of ['2026-11-27', '2026-11-28']) {
      const e = await estimate(byDay(day));
      expect({ day, ...e, near: near(e) }).toEqual({ day, ...e, near: true });
    }
  });
});
