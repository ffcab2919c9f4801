import { sql } from 'kysely';
import { loadConfig } from '../../src/config/load-config';
import { syncCatalogue } from '../../src/services/catalogue-sync.service';
import { EvaluationService } from '../../src/services/evaluation.service';
import { RulesService } from '../../src/services/rules.service';
import { silentLogger } from '../helpers/ingest-fixture';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('evalscale');
});
afterAll(() => db.drop());

describe('evaluation at scale', () => {
  it('records thousands of anomalies of one rule in one day (more than one statement can carry)', async () => {
    const config = loadConfig();
    await syncCatalogue(db.db, config);
    await sql`INSERT INTO units (code, name, kind, parent_code)
              SELECT 'town' || g, '乡镇' || g, 'county', 'xuancheng' FROM generate_series(1, 600) g`.execute(db.db);
    // Every series reported on the ten working days before and then not on the 26th: all are expected, all missed.
    await sql`INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
              SELECT d::date, i.id, u.id, 99, 0, 0 FROM indicators i CROSS JOIN units u
              CROSS JOIN unnest(${['2026-11-12', '2026-11-13', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-23', '2026-11-24', '2026-11-25']}::date[]) d`.execute(db.db);
    await new RulesService(db.db).apply(config.rules, { by: 'test', reason: '初始规则', effectiveFrom: '2026-01-01' });
    const summary = await new EvaluationService({ db: db.db, config, logger: silentLogger }).evaluateDay('2026-11-26', { trigger: 'test' });
    const series = (config.units.length + 600) * config.indicators.length;
    expect(summary.rules.find((r) => r.ruleId === 'not_reported')).toMatchObject({ found: series, new: series });
    const stored = await db.db.selectFrom('anomalies').select((eb) => eb.fn.countAll<number>().as('n')).where('rule_id', '=', 'not_reported').executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(series);
  });
});
