import { sql } from 'kysely';
import { createDatabase } from '../../src/db/database';
import { loadConfig } from '../../src/config/load-config';
import type { RuleDefinition } from '../../src/config/rules-schema';
import { RulesService } from '../../src/services/rules.service';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('rules');
});
afterAll(() => db.drop());

const shipped = loadConfig().rules;

describe('rule versions', () => {
  it('stores the file as versions, pins each day to the version in force then, and never edits a version', async () => {
    const rules = new RulesService(db.db);
    const first = await rules.apply(shipped, { by: '张三', reason: '初始规则', effectiveFrom: '2026-11-01' });
    expect(first.stored.map((v) => `${v.rule_id}@${v.version}`).sort()).toEqual(shipped.map((r) => `${r.id}@1`).sort());
    expect(await rules.plan(shipped)).toEqual([]);
    expect((await rules.apply(shipped, { by: '张三', reason: '重复', effectiveFrom: '2026-11-02' })).stored).toEqual([]);

    const next: RuleDefinition[] = shipped
      .filter((r) => r.id !== 'county_bottom')
      .map((r) => (r.id === 'daily_drop' && r.kind === 'change' ? { ...r, by: 3 } : r));
    const plan = await rules.plan(next);
    expect(plan.map((c) => `${c.kind}:${c.id}`).sort()).toEqual(['changed:daily_drop', 'retired:county_bottom']);
    const second = await rules.apply(next, { by: '李四', reason: '降幅阈值放宽到 3 个百分点', effectiveFrom: '2026-11-20' });
    expect(second.stored.map((v) => [v.rule_id, v.version, v.definition === null])).toEqual(
      expect.arrayContaining([
        ['daily_drop', 2, false],
        ['county_bottom', 2, true],
      ]),
    );

    const before = await rules.inForceOn('2026-11-19');
    const after = await rules.inForceOn('2026-11-20');
    expect(before.find((r) => r.rule_id === 'daily_drop')).toMatchObject({ version: 1, definition: expect.objectContaining({ by: 2 }) });
    expect(after.find((r) => r.rule_id === 'daily_drop')).toMatchObject({ version: 2, created_by: '李四', definition: expect.objectContaining({ by: 3 }) });
    expect(before.some((r) => r.rule_id === 'county_bottom')).toBe(true);
    expect(after.some((r) => r.rule_id === 'county_bottom')).toBe(false);
    expect((await rules.history('daily_drop')).map((v) => v.reason)).toEqual(['初始规则', '降幅阈值放宽到 3 个百分点']);

    // The app role may only append; even the owner, who may, is stopped by the trigger.
    await expect(sql`UPDATE rule_versions SET reason = 'x'`.execute(db.db)).rejects.toThrow('permission denied for table rule_versions');
    const owner = createDatabase(db.ownerUrl, { max: 1 });
    try {
      await expect(sql`UPDATE rule_versions SET reason = 'x'`.execute(owner.db)).rejects.toThrow('rule_versions 只能追加，不能修改或删除（UPDATE）');
      await expect(sql`DELETE FROM rule_versions`.execute(owner.db)).rejects.toThrow('（DELETE）');
    } finally {
      await owner.close();
    }
  });

  it('refuses to apply without a reason', async () => {
    await expect(new RulesService(db.db).apply(shipped, { by: 'x', reason: ' ', effectiveFrom: '2026-11-01' })).rejects.toThrow('--reason');
  });
});
