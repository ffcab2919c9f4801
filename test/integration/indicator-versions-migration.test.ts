import { Migrator, sql } from 'kysely';
import { migrations } from '../../migrations';
import { createEmptyDatabase } from '../helpers/test-database';

/**
 * A database whose thresholds sat in `indicators` (overwritten in place by each sync), migrated: each indicator's
 * values become its version 1, stored when the indicator was (so replays of earlier evaluations find it) and effective
 * from 1 January of the year of the earliest data or rule; earlier anomalies name that version; `indicators` keeps
 * only what names an indicator.
 */
let handle: Awaited<ReturnType<typeof createEmptyDatabase>>;
beforeAll(async () => {
  handle = await createEmptyDatabase('thresholds');
});
afterAll(() => handle.drop());

describe('the migration to thresholds as versions', () => {
  it('makes each indicator’s thresholds its version 1 and pins earlier anomalies to it', async () => {
    const { db } = handle;
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('20261130T090000000Z-go-live')).error).toBeUndefined();

    await sql`INSERT INTO units (code, name, kind) VALUES ('ningguo', '宁国市', 'county')`.execute(db);
    await sql`INSERT INTO indicators (code, name, unit, kind, direction, alert_value, benchmark_value, weight, scope, created_at) VALUES
              ('full_online_rate', '全程网办率', '%', 'percent', 'higher', 99, 100, 10, '"all"', '2025-12-30T02:00:00Z'),
              ('overdue_cases', '超期件数', '件', 'count', 'lower', NULL, NULL, 0, '{"kinds":["county"]}', '2025-12-30T02:00:00Z')`.execute(db);
    await sql`INSERT INTO rule_versions (rule_id, version, definition, digest, created_by, reason, effective_from) VALUES
              ('below_alert', 1, '{"id":"below_alert","name":"低于预警值","kind":"threshold"}', 'd1', 't', 'r', '2026-03-01')`.execute(db);
    await sql`INSERT INTO ingest_runs (day, source, trigger, status) VALUES ('2025-11-20', 'csv', 'cli', 'succeeded')`.execute(db);
    await sql`INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id) VALUES ('2025-11-20', 1, 1, 98.5, 1, 1)`.execute(db);
    await sql`INSERT INTO evaluation_runs (day, trigger, finished_at) VALUES ('2025-11-20', 'ingest run 1', now())`.execute(db);
    await sql`INSERT INTO anomalies (rule_id, rule_version_id, indicator_id, unit_id, day, kind, severity, observed_value, expected_value, explanation, evaluation_id) VALUES
              ('below_alert', 1, 1, 1, '2025-11-20', 'threshold', 'warning', 98.5, 99, '宁国市 全程网办率 98.5%，低于预警值 99%', 1)`.execute(db);

    expect((await migrator.migrateToLatest()).error).toBeUndefined();

    const versions = await sql<Record<string, unknown>>`
      SELECT i.code, v.version, v.kind, v.direction, v.alert_value::text, v.benchmark_value::text, v.weight::text, v.scope,
             v.effective_from::text, v.created_by, v.created_at = i.created_at AS stored_with_indicator
      FROM indicator_versions v JOIN indicators i ON i.id = v.indicator_id ORDER BY i.id`.execute(db);
    expect(versions.rows).toEqual([
      { code: 'full_online_rate', version: 1, kind: 'percent', direction: 'higher', alert_value: '99', benchmark_value: '100', weight: '10', scope: 'all', effective_from: '2025-01-01', created_by: 'duban', stored_with_indicator: true },
      { code: 'overdue_cases', version: 1, kind: 'count', direction: 'lower', alert_value: null, benchmark_value: null, weight: '0', scope: { kinds: ['county'] }, effective_from: '2025-01-01', created_by: 'duban', stored_with_indicator: true },
    ]);
    const anomaly = await sql<{ version: number }>`SELECT v.version FROM anomalies a JOIN indicator_versions v ON v.id = a.indicator_version_id`.execute(db);
    expect(anomaly.rows).toEqual([{ version: 1 }]);

    // The catalogue as it judged a day; nothing before version 1's day; the thresholds no longer in `indicators`.
    const on = await sql<{ code: string; alert_value: string | null }>`SELECT code, alert_value::text FROM indicators_on('2025-11-20') ORDER BY id`.execute(db);
    expect(on.rows).toEqual([{ code: 'full_online_rate', alert_value: '99' }, { code: 'overdue_cases', alert_value: null }]);
    expect((await sql`SELECT * FROM indicators_on('2024-12-31')`.execute(db)).rows).toEqual([]);
    const columns = await sql<{ column_name: string }>`
      SELECT column_name FROM information_schema.columns WHERE table_name = 'indicators' ORDER BY column_name`.execute(db);
    expect(columns.rows.map((c) => c.column_name)).not.toEqual(expect.arrayContaining(['alert_value']));
    expect(columns.rows.map((c) => c.column_name)).toEqual(expect.arrayContaining(['code', 'name', 'header_aliases']));
    await expect(sql`UPDATE indicator_versions SET alert_value = 98`.execute(db)).rejects.toThrow(/只能追加/);

    // And back: the newest version's values return to `indicators`.
    expect((await migrator.migrateTo('20261130T090000000Z-go-live')).error).toBeUndefined();
    const back = await sql<{ code: string; alert_value: string | null; kind: string }>`SELECT code, alert_value::text, kind FROM indicators ORDER BY id`.execute(db);
    expect(back.rows).toEqual([{ code: 'full_online_rate', alert_value: '99', kind: 'percent' }, { code: 'overdue_cases', alert_value: null, kind: 'count' }]);
  });
});
