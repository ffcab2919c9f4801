import { Migrator, sql } from 'kysely';
import { migrations } from '../../migrations';
import { createDatabase } from '../../src/db/database';
import { AuditService, auditHolds } from '../../src/services/audit.service';
import { duban } from '../helpers/run-cli';
import { writeTestConfig } from '../helpers/test-config';
import { asRole, dropTestDatabase, TEST_DATABASE_URL, TEST_ROLES, withDatabase } from '../helpers/test-database';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * An installation as the last release left it — one database role for everything, revisions without the run they
 * replaced — upgraded: the migration backfills each revision's replaced run and fingerprints every earlier ingest run
 * in the ledger (so `audit verify` holds on the values as they stand), and `duban db setup-roles` then takes the
 * schema over for an owner role and leaves the app role unable to rewrite it.
 */
const name = `duban_anchors_${process.pid}_${randomBytes(3).toString('hex')}`;
const url = withDatabase(TEST_DATABASE_URL, name);
const config = writeTestConfig({ sources: [] });
const saved = { ...process.env };

beforeAll(async () => {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
});
afterAll(async () => {
  process.env = saved;
  await dropTestDatabase(name);
  config.remove();
});

describe('upgrading to ledger anchors and two roles', () => {
  it('backfills revisions and fingerprints, then setup-roles hands the schema to the owner and the app role cannot rewrite it', async () => {
    const old = createDatabase(url, { max: 1 });
    try {
      const { db } = old;
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      expect((await migrator.migrateTo('20261130T060000000Z-problem-facts')).error).toBeUndefined();
      await sql`INSERT INTO units (code, name, kind) VALUES ('ningguo', '宁国市', 'county'), ('langxi', '郎溪县', 'county')`.execute(db);
      await sql`INSERT INTO indicators (code, name, unit, kind, direction) VALUES ('full_online_rate', '全程网办率', '%', 'percent', 'higher'),
                                                                            ('satisfaction_rate', '好评率', '%', 'percent', 'higher')`.execute(db);
      await sql`INSERT INTO ingest_runs (day, source, trigger, status) VALUES ('2026-11-12', 'csv', 'daemon', 'succeeded'),
                ('2026-11-12', 'csv', 'cli', 'succeeded'), ('2026-11-13', 'csv', 'daemon', 'succeeded'), ('2026-11-13', 'csv', 'cli', 'succeeded')`.execute(db);
      // Run 1 wrote three values on 11/12; run 2 revised one of them (the old way: the observation updated in place).
      // Run 3 wrote two on 11/13; run 4 revised one of them, and later its own revision again.
      await sql`INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id) VALUES
                ('2026-11-12', 1, 1, 99.50, 1, 2), ('2026-11-12', 1, 2, 98, 1, 1), ('2026-11-12', 2, 1, 99.9, 1, 1),
                ('2026-11-13', 1, 1, 97, 3, 4), ('2026-11-13', 2, 2, 100, 3, 3)`.execute(db);
      await sql`INSERT INTO observation_revisions (day, indicator_id, unit_id, old_value, new_value, run_id) VALUES
                ('2026-11-12', 1, 1, 99.1, 99.50, 2), ('2026-11-13', 1, 1, 96, 96.5, 4), ('2026-11-13', 1, 1, 96.5, 97, 4)`.execute(db);

      expect((await migrator.migrateToLatest()).error).toBeUndefined();

      const revisions = await sql<{ old_run_id: number }>`SELECT old_run_id::int FROM observation_revisions ORDER BY id`.execute(db);
      expect(revisions.rows.map((r) => r.old_run_id)).toEqual([1, 3, 4]);
      const recorded = await sql<{ payload: { runId: number; values: number; day: string } }>`
        SELECT payload FROM ledger_events WHERE type = 'values_recorded' ORDER BY seq`.execute(db);
      expect(recorded.rows.map((r) => [r.payload.runId, r.payload.day, r.payload.values])).toEqual([
        [1, '2026-11-12', 3],
        [2, '2026-11-12', 1],
        [3, '2026-11-13', 2],
        [4, '2026-11-13', 2],
      ]);
      // The migration's fingerprints (rows hashed as read) are the ones verify recomputes (COPY text hashed).
      const report = await new AuditService({ db, pool: old.pool, timezone: 'Asia/Shanghai' }).verify();
      expect(report.values).toEqual({ runs: 4, findings: [] });
      expect(auditHolds(report)).toBe(true);
    } finally {
      await old.close();
    }

    Object.assign(process.env, { LOG_LEVEL: 'silent' });
    const printed = await duban('--config', config.file, 'db', 'setup-roles', '--admin-url', url, '--owner', TEST_ROLES.owner, '--app', TEST_ROLES.app);
    expect(printed).toContain(`转给 ${TEST_ROLES.owner} 所有：`);
    expect(printed).toContain('ledger_events');
    expect(printed).toContain(`DATABASE_URL=postgres://${TEST_ROLES.app}:<密码>@`);

    const app = createDatabase(asRole(url, TEST_ROLES.app), { max: 1 });
    try {
      await expect(sql`UPDATE ledger_events SET actor = 'x'`.execute(app.db)).rejects.toThrow(/permission denied/);
      await expect(sql`ALTER TABLE ledger_events DISABLE TRIGGER USER`.execute(app.db)).rejects.toThrow(/must be owner/);
      const owners = await sql<{ owner: string }>`SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = 'public'`.execute(app.db);
      expect(owners.rows).toEqual([{ owner: TEST_ROLES.owner }]);
      // The app role's own connection: migrated, nothing to do, everything it needs granted.
      process.env.DATABASE_URL = asRole(url, TEST_ROLES.app);
      expect(await duban('--config', config.file, 'migrate')).toBe('没有需要执行的迁移。');
      expect(await duban('--config', config.file, 'audit', 'verify')).toContain('结论：台账可信。');
    } finally {
      await app.close();
    }
  });
});
