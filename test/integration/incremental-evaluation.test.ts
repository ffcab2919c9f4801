import fc from 'fast-check';
import { sql } from 'kysely';
import { DubanConfig, loadConfig } from '../../src/config/load-config';
import { RuleDefinition, ruleSchema } from '../../src/config/rules-schema';
import { inRolledBackTransaction } from '../../src/db/transactions';
import { Day, dayRange } from '../../src/domain/day';
import { WorkingCalendar } from '../../src/domain/working-calendar';
import { syncCatalogue } from '../../src/services/catalogue-sync.service';
import { EvaluationService } from '../../src/services/evaluation.service';
import { RulesService } from '../../src/services/rules.service';
import { silentLogger } from '../helpers/ingest-fixture';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';

/**
 * The incremental evaluation (each series' window gathered from the packed values, observation_packs, and screened in
 * the process) against the full
 * computation over the history (`reference`), on random histories: the same anomalies, word for word, and the same
 * count of series with too little history, for every baseline rule, whatever order the values came in. (The other
 * kinds of rule are judged by the same statements either way.)
 *
 * A history is 6 weeks of values (2026-09-07 to 10-18: 国庆 10/1–10/8 off, Sunday 9/28 and Saturday 10/11 worked) of 3
 * units × 2 indicators (one better high, one better low), some values missing, some on days off, drawn from a small
 * set so that windows are flat (MAD 0), tied or spread. They are written in random order and grouping — one day at
 * a time, several days in one statement (a bulk load), days late — then some are revised or deleted, as an ingest,
 * a revision (the owner's trigger) or a retention run would. After that the kept packs must equal the packs made
 * afresh from the history, and random days (the latest working days, and any others) are judged both ways, each in a
 * transaction rolled back.
 */
const DAYS = dayRange('2026-09-07', '2026-10-18');
const UNITS = ['ningguo', 'langxi', 'guangde'];
const VALUES = ['99.5', '99.5', '99.6', '99.60', '99.4', '98', '97.25', '100', '95', '0.2', '12.5'];
const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);

const RULES: RuleDefinition[] = [
  { id: 'off_baseline', name: '偏离基线', kind: 'baseline', window: 20, z: 3.5, minHistory: 10, minDeviation: 0.5 },
  { id: 'short_baseline', name: '偏离短基线', kind: 'baseline', window: 5, z: 2, minHistory: 3, minDeviation: 0 },
  { id: 'weekday_baseline', name: '偏离同星期基线', kind: 'baseline', window: 3, sameWeekday: true, z: 1, minHistory: 3, minDeviation: 0.1 },
  { id: 'held_baseline', name: '连续偏离基线', kind: 'baseline', window: 8, z: 1.5, minHistory: 4, minDeviation: 0.2, for: 2, scope: { kinds: ['county'] } },
].map((r) => ruleSchema.parse(r));

let config: DubanConfig;
let calendar: WorkingCalendar;
let db: TestDatabase;
let evaluation: EvaluationService;
const series: Array<{ indicator: number; unit: number }> = [];

beforeAll(async () => {
  config = loadConfig();
  calendar = new WorkingCalendar(config.calendar);
  db = await createTestDatabase('incremental');
  await syncCatalogue(db.db, config);
  await new RulesService(db.db).apply(RULES, { by: 'test', reason: '增量评估等价性测试', effectiveFrom: '2026-01-01' });
  evaluation = new EvaluationService({ db: db.db, config, logger: silentLogger });
  // The second indicator is made one where lower is better (the catalogue has none), by a version of its own.
  await sql`
    INSERT INTO indicator_versions (indicator_id, version, kind, direction, alert_value, benchmark_value, weight, scope, created_by, reason, effective_from)
    SELECT v.indicator_id, v.version + 1, 'number', 'lower', 5, 1, v.weight, v.scope, 'test', '越低越好', '2026-01-01'
    FROM indicator_versions v JOIN indicators i ON i.id = v.indicator_id WHERE i.code = 'time_compression_ratio'`.execute(db.admin().db);
  const indicators = await sql<{ id: number }>`SELECT id FROM indicators WHERE code IN ('full_online_rate', 'time_compression_ratio') ORDER BY code`.execute(db.db);
  const units = await sql<{ id: number }>`SELECT id FROM units WHERE code = ANY(${UNITS}::text[]) ORDER BY code`.execute(db.db);
  for (const i of indicators.rows) for (const u of units.rows) series.push({ indicator: i.id, unit: u.id });
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

/** One series' value on one day, or none. */
type Cell = { day: Day; series: number; value: string };

interface History {
  cells: Cell[];
  /** How the cells are written: the order of the days, and how many days go into each statement. */
  order: number[];
  batches: number[];
  revisions: Array<{ cell: number; value: string }>;
  deletions: number[];
  judged: Day[];
}

const history = (): fc.Arbitrary<History> => fc
  .record({
    present: fc.array(fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), { minLength: DAYS.length, maxLength: DAYS.length }),
    values: fc.array(fc.constantFrom(...VALUES), { minLength: DAYS.length * 6, maxLength: DAYS.length * 6 }),
    order: fc.shuffledSubarray(
      DAYS.map((_, k) => k),
      { minLength: DAYS.length, maxLength: DAYS.length },
    ),
    inOrder: fc.boolean(),
    batches: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: DAYS.length, maxLength: DAYS.length }),
    revisions: fc.array(fc.record({ cell: fc.nat(), value: fc.constantFrom(...VALUES) }), { maxLength: 8 }),
    deletions: fc.array(fc.nat(), { maxLength: 3 }),
    judged: fc.array(fc.constantFrom(...DAYS.filter((d) => calendar.isWorkingDay(d))), { minLength: 1, maxLength: 3 }),
  })
  .map(({ present, values, order, inOrder, batches, revisions, deletions, judged }) => {
    const cells: Cell[] = [];
    DAYS.forEach((day, d) =>
      series.forEach((_, s) => {
        // Days off have values less often, as at the bureau.
        if (present[d]![s] && (calendar.isWorkingDay(day) || (d + s) % 3 === 0)) cells.push({ day, series: s, value: values[d * 6 + s]! });
      }),
    );
    const workdays = DAYS.filter((d) => calendar.isWorkingDay(d));
    // The latest working days are judged in every history: the daily case.
    return {
      cells,
      order: inOrder ? DAYS.map((_, k) => k) : order,
      batches,
      revisions: cells.length === 0 ? [] : revisions.map((r) => ({ cell: r.cell % cells.length, value: r.value })),
      deletions: cells.length === 0 ? [] : deletions.map((k) => k % cells.length),
      judged: [...new Set([workdays.at(-1)!, workdays.at(-2)!, ...judged])],
    };
  });

/** An empty history for the next one: deleted, the owner's trigger takes the packs with it. */
async function reset(): Promise<void> {
  await sql`DELETE FROM observations`.execute(db.admin().db);
  expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM observation_packs`.execute(db.db)).rows[0]!.n).toBe(0);
}

async function write(h: History): Promise<void> {
  const insert = (cells: Cell[]) =>
    cells.length === 0
      ? Promise.resolve()
      : sql`INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
            SELECT d, i, u, v, 0, 0 FROM unnest(${cells.map((c) => c.day)}::date[], ${cells.map((c) => series[c.series]!.indicator)}::int[],
                                                 ${cells.map((c) => series[c.series]!.unit)}::int[], ${cells.map((c) => c.value)}::numeric[]) AS t(d, i, u, v)`.execute(db.db);
  // As the ingest writes (the app role), in the history's order of days, several days to a statement at times.
  for (let k = 0, b = 0; k < h.order.length; k += h.batches[b++]!) {
    const days = new Set(h.order.slice(k, k + h.batches[b]!).map((d) => DAYS[d]!));
    await insert(h.cells.filter((c) => days.has(c.day)));
  }
  const owner = db.admin().db;
  // A revision is applied by the owner's trigger as an UPDATE; a retention run deletes.
  for (const r of h.revisions) {
    const c = h.cells[r.cell]!;
    await sql`UPDATE observations SET value = ${r.value}::numeric WHERE day = ${c.day}::date AND indicator_id = ${series[c.series]!.indicator} AND unit_id = ${series[c.series]!.unit}`.execute(owner);
  }
  for (const k of h.deletions) {
    const c = h.cells[k]!;
    await sql`DELETE FROM observations WHERE day = ${c.day}::date AND indicator_id = ${series[c.series]!.indicator} AND unit_id = ${series[c.series]!.unit}`.execute(owner);
  }
}

/** The kept packs that differ from the packs made afresh from the history, both ways. */
async function drift(): Promise<number> {
  const r = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (
      (SELECT * FROM observation_packs EXCEPT SELECT * FROM duban_observation_packs_from_history())
      UNION ALL
      (SELECT * FROM duban_observation_packs_from_history() EXCEPT SELECT * FROM observation_packs)) d`.execute(db.admin().db);
  return r.rows[0]!.n;
}

async function judge(day: Day, reference: boolean) {
  return inRolledBackTransaction(db.db, async (tx) => {
    const summary = await evaluation.evaluateDay(day, { trigger: 'test', within: tx, reference });
    const anomalies = await sql`
      SELECT rule_id, indicator_id, unit_id, observed_value::text, expected_value::text, explanation
      FROM anomalies WHERE evaluation_id = ${summary.evaluationId} ORDER BY rule_id, indicator_id, unit_id`.execute(tx);
    return { rules: summary.rules.map((r) => ({ rule: r.ruleId, found: r.found, insufficient: r.insufficientHistory })), anomalies: anomalies.rows };
  });
}

const stats = { histories: 0, judged: 0, anomalies: 0, deviations: 0 };

it(`judges ${RUNS} random histories the same from the packed values as from the whole history`, async () => {
  await fc.assert(
    fc.asyncProperty(history(), async (h) => {
      await reset();
      await write(h);
      expect(await drift()).toBe(0);
      for (const day of h.judged) {
        const incremental = await judge(day, false);
        expect(incremental).toEqual(await judge(day, true));
        stats.judged++;
        stats.anomalies += incremental.anomalies.length;
      }
      stats.histories++;
    }),
    { numRuns: RUNS },
  );
  // The histories must have found something to agree on.
  expect(stats.histories).toBeGreaterThanOrEqual(RUNS);
  expect(stats.anomalies).toBeGreaterThan(RUNS);
}, 600_000);

it('lets the app role read the packed values but never write them', async () => {
  await expect(sql`INSERT INTO observation_packs VALUES ('2026-10-09', 1, 0, '\\x00')`.execute(db.db)).rejects.toThrow(/permission denied/);
  await expect(sql`DELETE FROM observation_packs`.execute(db.db)).rejects.toThrow(/permission denied/);
  await expect(sql`SELECT count(*) FROM observation_packs`.execute(db.db)).resolves.toBeDefined();
});
