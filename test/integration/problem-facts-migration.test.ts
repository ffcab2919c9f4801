import { Migrator, sql } from 'kysely';
import { migrations } from '../../migrations';
import { LedgerService } from '../../src/services/ledger.service';
import { createEmptyDatabase } from '../helpers/test-database';

/**
 * A database as the last release left it (one problem per series *and kind of rule*), migrated: duplicates of one fact
 * are merged into the oldest, which takes the first assignment among them; the others end 已合并; each merge is in the
 * ledger, whose chain still verifies.
 */
let handle: Awaited<ReturnType<typeof createEmptyDatabase>>;
beforeAll(async () => {
  handle = await createEmptyDatabase('facts');
});
afterAll(() => handle.drop());

describe('the migration to problems as facts', () => {
  it('merges duplicates of one fact into the oldest, keeping the first assignment, and records each merge', async () => {
    const { db } = handle;
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('20261130T050000000Z-letters-step')).error).toBeUndefined();

    // The old shape: 宁国市 全程网办率 as a threshold problem (open) and a change problem (assigned 11/16); 宣州区 有
    // two indicators missing, as two problems; 郎溪县 one problem alone.
    await sql`INSERT INTO units (code, name, kind) VALUES ('ningguo', '宁国市', 'county'), ('xuanzhou', '宣州区', 'county'),
                                                          ('langxi', '郎溪县', 'county'), ('data_bureau', '市数据资源局', 'department')`.execute(db);
    await sql`INSERT INTO indicators (code, name, unit, kind, direction, alert_value, source_department) VALUES
              ('full_online_rate', '全程网办率', '%', 'percent', 'higher', 99, 'data_bureau'),
              ('satisfaction_rate', '好评率', '%', 'percent', 'higher', 99.8, 'data_bureau')`.execute(db);
    await sql`INSERT INTO rule_versions (rule_id, version, definition, digest, created_by, reason, effective_from) VALUES
              ('below_alert', 1, '{"id":"below_alert","name":"低于预警值","kind":"threshold"}', 'd1', 't', 'r', '2026-01-01'),
              ('daily_drop', 1, '{"id":"daily_drop","name":"较上一工作日下降","kind":"change"}', 'd2', 't', 'r', '2026-01-01'),
              ('not_reported', 1, '{"id":"not_reported","name":"数据未报送","kind":"missing"}', 'd3', 't', 'r', '2026-01-01')`.execute(db);
    await sql`INSERT INTO evaluation_runs (day, trigger, finished_at) VALUES ('2026-11-12', 'ingest run 7', now())`.execute(db);
    const ids = (
      await sql<{ id: number }>`
        INSERT INTO problems (indicator_id, unit_id, kind, owner_unit_id, state, category, severity, first_seen, last_seen, anomaly_count,
                              worst_value, assigned_on, deadline, escalation) VALUES
          (1, 1, 'threshold', 1, 'open', 'simple', 'warning', '2026-11-12', '2026-11-13', 2, 97, NULL, NULL, 'none'),
          (1, 1, 'change', 1, 'assigned', 'simple', 'major', '2026-11-13', '2026-11-13', 1, 96.5, '2026-11-16', '2026-11-23', 'remind'),
          (1, 2, 'missing', 4, 'open', 'simple', 'warning', '2026-11-12', '2026-11-12', 1, NULL, NULL, NULL, 'none'),
          (2, 2, 'missing', 4, 'open', 'simple', 'warning', '2026-11-12', '2026-11-12', 1, NULL, NULL, NULL, 'none'),
          (1, 3, 'threshold', 3, 'open', 'simple', 'warning', '2026-11-12', '2026-11-12', 1, 98, NULL, NULL, 'none')
        RETURNING id`.execute(db)
    ).rows.map((r) => r.id);
    await sql`INSERT INTO anomalies (rule_id, rule_version_id, indicator_id, unit_id, day, kind, severity, observed_value, expected_value, explanation, evaluation_id, problem_id) VALUES
              ('below_alert', 1, 1, 1, '2026-11-12', 'threshold', 'warning', 97.5, 99, '宁国市 全程网办率 97.5%，低于预警值 99%', 1, ${ids[0]}),
              ('below_alert', 1, 1, 1, '2026-11-13', 'threshold', 'warning', 97, 99, '宁国市 全程网办率 97%，低于预警值 99%', 1, ${ids[0]}),
              ('daily_drop', 2, 1, 1, '2026-11-13', 'change', 'major', 96.5, 99, '宁国市 全程网办率 96.5%，较上一工作日下降', 1, ${ids[1]}),
              ('not_reported', 3, 1, 2, '2026-11-12', 'missing', 'warning', NULL, NULL, '宣州区 全程网办率 未报送数据', 1, ${ids[2]}),
              ('not_reported', 3, 2, 2, '2026-11-12', 'missing', 'warning', NULL, NULL, '宣州区 好评率 未报送数据', 1, ${ids[3]}),
              ('below_alert', 1, 1, 3, '2026-11-12', 'threshold', 'warning', 98, 99, '郎溪县 全程网办率 98%，低于预警值 99%', 1, ${ids[4]})`.execute(db);
    await new LedgerService(db).append(
      ids.map((id) => ({ type: 'problem_opened' as const, actor: 'duban', problemId: String(id), payload: { kind: 'threshold', day: '2026-11-12', anomalyIds: [], ownerUnitId: 1 } })),
    );

    expect((await migrator.migrateToLatest()).error).toBeUndefined();

    const problems = await sql<{ id: number; kind: string; indicator_id: number | null; state: string; rules: string[]; anomaly_count: number; assigned_on: string | null; deadline: string | null; escalation: string; merged_into: number | null; severity: string }>`
      SELECT id, kind, indicator_id, state, rules, anomaly_count, assigned_on::text, deadline::text, escalation, merged_into, severity FROM problems ORDER BY id`.execute(db);
    const [threshold, change, missingA, missingB, alone] = problems.rows;
    // The oldest of the series takes the first assignment (the change problem's), its anomalies and its rules.
    expect(threshold).toMatchObject({ kind: 'value', state: 'assigned', assigned_on: '2026-11-16', deadline: '2026-11-23', escalation: 'remind', anomaly_count: 3, rules: ['below_alert', 'daily_drop'], severity: 'major', merged_into: null });
    expect(change).toMatchObject({ kind: 'value', state: 'merged', merged_into: threshold!.id });
    // 宣州区's missing data, owed by one supplier: one problem, about no single indicator.
    expect(missingA).toMatchObject({ kind: 'missing', indicator_id: null, state: 'open', anomaly_count: 2, rules: ['not_reported'] });
    expect(missingB).toMatchObject({ kind: 'missing', state: 'merged', merged_into: missingA!.id });
    expect(alone).toMatchObject({ kind: 'value', state: 'open', merged_into: null, rules: ['below_alert'] });
    const relinked = await sql<{ problem_id: number }>`SELECT DISTINCT problem_id::int FROM anomalies WHERE unit_id = 1`.execute(db);
    expect(relinked.rows).toEqual([{ problem_id: threshold!.id }]);

    const events = await sql<{ type: string; problem_id: number; payload: Record<string, unknown> }>`
      SELECT type, problem_id::int, payload FROM ledger_events WHERE type IN ('problem_absorbed', 'problem_merged') ORDER BY seq`.execute(db);
    expect(events.rows).toEqual([
      { type: 'problem_absorbed', problem_id: threshold!.id, payload: expect.objectContaining({ from: 'open', to: 'assigned', absorbed: [change!.id], assignmentOf: change!.id, day: '2026-11-13' }) },
      { type: 'problem_merged', problem_id: change!.id, payload: expect.objectContaining({ from: 'assigned', to: 'merged', into: threshold!.id, reason: expect.stringContaining('同一事实') }) },
      { type: 'problem_absorbed', problem_id: missingA!.id, payload: expect.objectContaining({ absorbed: [missingB!.id] }) },
      { type: 'problem_merged', problem_id: missingB!.id, payload: expect.objectContaining({ into: missingA!.id }) },
    ]);
    expect(await new LedgerService(db).verify()).toEqual({ checked: ids.length + 4 });
    // The daemon's evaluations of before say which run they judged.
    expect((await sql<{ after_run: number }>`SELECT after_run::int FROM evaluation_runs`.execute(db)).rows).toEqual([{ after_run: 7 }]);
    // One live problem per fact from now on.
    await expect(sql`UPDATE problems SET state = 'open' WHERE id = ${change!.id}`.execute(db)).rejects.toThrow(/problems_one_live_value/);
  });
});
