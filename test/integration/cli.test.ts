import { duban } from '../helpers/run-cli';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { tempDir } from '../helpers/temp-dir';
import { writeFileSync } from 'node:fs';

let db: TestDatabase;
const saved = { ...process.env };

beforeAll(async () => {
  db = await createTestDatabase('cli');
  process.env.DATABASE_URL = db.url;
  process.env.LOG_LEVEL = 'silent';
});
afterAll(async () => {
  process.env = saved;
  await db.drop();
});

describe('duban CLI', () => {
  it('ingests a file, prints the counts and how to list the rejects, then lists them', async () => {
    const config = writeTestConfig({ sources: [] });
    const dir = tempDir();
    const file = dir.file('宁国市.csv');
    writeFileSync(file, '单位,指标,日期,数值\n宁国市,全程网办率,2026-11-26,99.2\n宁国市,好评率,2026-11-26,百分百\n');

    const printed = await duban('--config', config.file, 'ingest', '--day', '2026-11-26', '--file', file);
    expect(printed).toMatch(/采集日期 2026-11-26/);
    // 单元格 2 = 新增 1 + 修订 0 + 未变 0 + 重复 0 + 拒收 1 + 忽略 0
    expect(printed).toMatch(/file\s+1\s+成功\s+2\s+1\s+0\s+0\s+0\s+1\s+0/);
    expect(printed).toContain('duban rejects --run 1');

    const rejects = await duban('--config', config.file, 'rejects', '--run', '1');
    expect(rejects).toContain('not_numeric');
    expect(rejects).toContain('宁国市 好评率 的数值“百分百”不是数字');
    expect(rejects).toContain(file);

    const json = JSON.parse(await duban('--config', config.file, 'rejects', '--day', '2026-11-26', '--format', 'json'));
    expect(json).toEqual({
      rejects: [expect.objectContaining({ run_id: 1, line_no: 3, column_name: '数值', reason: 'not_numeric', raw: '宁国市,好评率,2026-11-26,百分百' })],
      ignoredColumns: [],
    });

    const status = await duban('migrate', 'status');
    expect(status).toMatch(/Z\s+20261127T173000000Z-foundation/);
    config.remove();
    dir.remove();
  });

  it('refuses an unknown source by name and lists the configured ones', async () => {
    const config = writeTestConfig({ sources: [{ name: 'demo', type: 'demo' }] });
    await expect(duban('--config', config.file, 'ingest', '--day', '2026-11-26', '--source', 'nope')).rejects.toThrow(
      '配置中没有名为“nope”的数据源（已配置：demo）',
    );
    config.remove();
  });
});
