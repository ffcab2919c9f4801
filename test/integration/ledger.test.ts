import { sql } from 'kysely';
import { loadConfig } from '../../src/config/load-config';
import { createDatabase } from '../../src/db/database';
import type { RuleDefinition } from '../../src/config/rules-schema';
import { LedgerService } from '../../src/services/ledger.service';
import { RulesService } from '../../src/services/rules.service';
import { duban } from '../helpers/run-cli';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';

let db: TestDatabase;
let ledger: LedgerService;
let configFile: string;
const saved = { ...process.env };
beforeAll(async () => {
  db = await createTestDatabase('ledger');
  ledger = new LedgerService(db.db);
  // For `duban audit verify`, run in-process.
  process.env.DATABASE_URL = db.url;
  process.env.LOG_LEVEL = 'silent';
  configFile = writeTestConfig({ sources: [] }).file;
});
afterAll(async () => {
  process.env = saved;
  await db.drop();
});

const shipped = loadConfig().rules;

/** An event of the ledger's kinds, told apart by `k`. */
const event = (actor: string, k: number) => ({ type: 'problem_opened' as const, actor, payload: { kind: 'threshold', day: '2026-11-27', anomalyIds: [k], ownerUnitId: 1 } });

describe('the ledger (台账)', () => {
  it('records every rule version applied, with who and why, in one unbroken chain', async () => {
    await new RulesService(db.db).apply(shipped, { by: '张三', reason: '初始规则', effectiveFrom: '2026-11-01' });
    const next: RuleDefinition[] = shipped.map((r) => (r.id === 'daily_drop' && r.kind === 'change' ? { ...r, by: 3 } : r));
    await new RulesService(db.db).apply(next, { by: '李四', reason: '降幅阈值放宽', effectiveFrom: '2026-11-20' });

    const events = await db.db.selectFrom('ledger_events').selectAll().orderBy('seq').execute();
    expect(events).toHaveLength(shipped.length + 1);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, k) => k + 1));
    expect(events.at(-1)).toMatchObject({
      type: 'rule_version_applied',
      actor: '李四',
      rule_id: 'daily_drop',
      payload: { version: 2, change: 'changed', reason: '降幅阈值放宽', effectiveFrom: '2026-11-20' },
    });
    expect(await ledger.verify()).toEqual({ checked: shipped.length + 1 });
    // Paging does not change the verdict.
    expect(await ledger.verify(2)).toEqual({ checked: shipped.length + 1 });
  });

  it('writes nothing when the change it records is rolled back', async () => {
    const before = await ledger.verify();
    await expect(
      db.db.transaction().execute(async (tx) => {
        await ledger.append([event('张三', 1)], tx);
        throw new Error('回滚');
      }),
    ).rejects.toThrow('回滚');
    expect(await ledger.verify()).toEqual(before);
  });

  it('keeps concurrent appends in one chain', async () => {
    const before = (await ledger.verify()).checked;
    await Promise.all(Array.from({ length: 8 }, (_, k) => ledger.append([event(`并发${k}`, k)])));
    expect(await ledger.verify()).toEqual({ checked: before + 8 });
  });

  it('takes more events in one append than one statement can carry (a day that opens thousands of problems)', async () => {
    const before = (await ledger.verify()).checked;
    await ledger.append(Array.from({ length: 7000 }, (_, k) => event('test', k)));
    expect(await ledger.verify()).toEqual({ checked: before + 7000 });
  });

  it('says so from the CLI: `duban audit verify`', async () => {
    const { checked } = await ledger.verify();
    const printed = await duban('--config', configFile, 'audit', 'verify');
    expect(printed).toContain(`哈希链：台账完整：${checked} 条事件，哈希链逐条核验一致。`);
    expect(printed).toContain('结论：台账可信。');
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('refuses UPDATE, DELETE and TRUNCATE even to the owner role, through its trigger (the app role has no such privilege)', async () => {
    const owner = createDatabase(db.ownerUrl, { max: 1 });
    try {
      await expect(sql`UPDATE ledger_events SET actor = '王五' WHERE seq = 1`.execute(owner.db)).rejects.toThrow(/只能追加，不能修改或删除（UPDATE）/);
      await expect(sql`DELETE FROM ledger_events WHERE seq = 1`.execute(owner.db)).rejects.toThrow(/只能追加，不能修改或删除（DELETE）/);
      await expect(sql`TRUNCATE ledger_events`.execute(owner.db)).rejects.toThrow(/只能追加，不能修改或删除（TRUNCATE）/);
    } finally {
      await owner.close();
    }
  });

  it('finds a row an administrator altered with the trigger disabled, and names it', async () => {
    const admin = db.admin().db;
    await sql`ALTER TABLE ledger_events DISABLE TRIGGER ledger_events_append_only`.execute(admin);
    await sql`UPDATE ledger_events SET payload = jsonb_set(payload, '{reason}', '"事后改写"') WHERE seq = 3`.execute(admin);
    await sql`ALTER TABLE ledger_events ENABLE TRIGGER ledger_events_append_only`.execute(admin);
    expect(await ledger.verify()).toEqual({ checked: 2, broken: { seq: '3', reason: 'altered' } });
    try {
      const printed = await duban('--config', configFile, 'audit', 'verify');
      expect(printed).toContain('哈希链：台账被篡改：第 3 号事件的内容与其哈希不符：该事件在写入后被修改。此前 2 条事件核验一致。');
      expect(printed).toContain('结论：发现 1 处不一致，台账不可信。');
      expect(process.exitCode).toBe(2);
    } finally {
      process.exitCode = 0;
    }
  });
});
