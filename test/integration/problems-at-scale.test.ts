import { sql } from 'kysely';
import { EvaluationService } from '../../src/services/evaluation.service';
import { LedgerService } from '../../src/services/ledger.service';
import { ProblemService } from '../../src/services/problem.service';
import { RulesService } from '../../src/services/rules.service';
import { insertChunks, MAX_BIND_PARAMETERS } from '../../src/repositories/insert-chunks';
import { ingestFixture, IngestFixture, silentLogger } from '../helpers/ingest-fixture';

let f: IngestFixture;
const DAY = '2026-11-20';
/** Enough new problems in one day that one INSERT of them would pass PostgreSQL's 65,535 parameters. */
const UNITS = 3500;

beforeAll(async () => {
  f = await ingestFixture('scale');
  const { db } = f.db.admin();
  // Units loaded straight into the catalogue tables, as a province's catalogue is; each under two 预警值 that day.
  await sql`INSERT INTO units (code, name, kind, parent_code, contacts)
            SELECT 'u' || g, '单位' || g, 'county', 'xuancheng', '[]'::jsonb FROM generate_series(1, ${UNITS}) g`.execute(db);
  await sql`INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
            SELECT ${DAY}::date, i.id, u.id, CASE WHEN i.code IN ('zero_visit_ratio', 'on_time_completion_rate') THEN 50 ELSE 100 END, 0, 0
            FROM indicators_on(${DAY}::date) i CROSS JOIN units u WHERE u.code LIKE 'u%'`.execute(db);
  await sql`ANALYZE`.execute(db);
  await new RulesService(f.db.db).apply(f.config.rules.filter((r) => r.kind === 'threshold'), { by: 'test', reason: '初始规则', effectiveFrom: '2026-01-01' });
  await new EvaluationService({ db: f.db.db, config: f.config, logger: silentLogger }).evaluateDay(DAY, { trigger: 'test' });
}, 120_000);
afterAll(async () => {
  await f.close();
});

describe('a day with thousands of new problems', () => {
  it('cuts rows into statements under the parameter limit', () => {
    const rows = Array.from({ length: 10_000 }, (_, k) => ({ a: k, b: k, c: k, d: k, e: k, f: k, g: k }));
    const chunks = insertChunks(rows);
    expect(chunks.every((c) => c.length * 7 <= MAX_BIND_PARAMETERS)).toBe(true);
    expect(chunks.flat()).toEqual(rows);
    expect(insertChunks([])).toEqual([]);
  });

  it('opens every one of them, each once, with its ledger event', async () => {
    const summary = await new ProblemService({ db: f.db.db, config: f.config, logger: silentLogger }).absorb(DAY);
    expect(summary).toMatchObject({ opened: 2 * UNITS });
    const [{ n }] = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM problems p JOIN units u ON u.id = p.unit_id WHERE u.code LIKE 'u%'`.execute(f.db.db)).rows as [{ n: number }];
    expect(n).toBe(2 * UNITS);
    const opened = await f.db.db.selectFrom('ledger_events').select((e) => e.fn.countAll<number>().as('n')).where('type', '=', 'problem_opened').executeTakeFirstOrThrow();
    expect(Number(opened.n)).toBe(2 * UNITS);
    expect(await new LedgerService(f.db.db).verify()).toMatchObject({ checked: expect.any(Number) });
  }, 120_000);
});
