import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG_PATH } from '../../src/config/load-config';
import { duban } from '../helpers/run-cli';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { tempDir } from '../helpers/temp-dir';

/**
 * 预警值 as versions, the way an operator works: edit indicators.yaml, see that nothing changed yet, apply with a reason
 * and an effective day; earlier days keep their verdicts (replayed and re-judged), later ones use the new value, and
 * the 台账 says who changed what and why.
 */
let db: TestDatabase;
const saved = { ...process.env };
const dir = tempDir('duban-thresholds-');
const indicatorsFile = dir.file('indicators.yaml');
let config: ReturnType<typeof writeTestConfig>;

beforeAll(async () => {
  db = await createTestDatabase('thresholds');
  process.env.DATABASE_URL = db.url;
  process.env.LOG_LEVEL = 'silent';
  copyFileSync(path.join(path.dirname(DEFAULT_CONFIG_PATH), 'indicators.yaml'), indicatorsFile);
  config = writeTestConfig({ sources: [], catalogue: { indicators: indicatorsFile, units: path.join(path.dirname(DEFAULT_CONFIG_PATH), 'units.yaml') } });
});
afterAll(async () => {
  process.env = saved;
  config.remove();
  dir.remove();
  await db.drop();
});

/** Runs the CLI in-process; returns what it printed, what it warned and its exit code. */
async function run(...args: string[]): Promise<{ out: string; warned: string; exit: number }> {
  const warned: string[] = [];
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void warned.push(a.join(' ')));
  process.exitCode = undefined;
  try {
    const out = await duban('--config', config.file, ...args);
    return { out, warned: warned.join('\n'), exit: Number(process.exitCode ?? 0) };
  } finally {
    error.mockRestore();
    process.exitCode = undefined;
  }
}

/** 宁国市 at 99.3 %, 宣州区 at 99.8 %: both above 预警值 99, only 宣州区 above 99.6. */
async function ingestDay(day: string) {
  const file = dir.file(`${day}.csv`);
  writeFileSync(file, `单位,指标,日期,数值\n宁国市,全程网办率,${day},99.3\n宣州区,全程网办率,${day},99.8\n`);
  return run('ingest', '--day', day, '--file', file);
}

function setAlert(value: string) {
  const text = readFileSync(indicatorsFile, 'utf8');
  const next = text.replace(/(code: full_online_rate\n(?:.*\n)*?\s+alert: )[\d.]+/, `$1${value}`);
  expect(next).not.toBe(text);
  writeFileSync(indicatorsFile, next);
}

async function belowAlert(day: string) {
  const r = await db.db
    .selectFrom('anomalies as a')
    .innerJoin('units as u', 'u.id', 'a.unit_id')
    .innerJoin('indicator_versions as v', 'v.id', 'a.indicator_version_id')
    .select(['u.code as unit', 'a.expected_value', 'a.explanation', 'v.version'])
    .where('a.day', '=', day)
    .where('a.rule_id', '=', 'below_alert')
    .where('a.status', '=', 'active')
    .execute();
  return r;
}

describe('thresholds as versions', () => {
  it('judges each day with the 预警值 in force on it; replay reproduces every recorded verdict; the 台账 says who and why', async () => {
    await run('rules', 'apply', '--reason', '初始规则', '--by', '张三', '--effective', '2026-01-01', '--yes');
    for (const day of ['2026-11-23', '2026-11-24']) expect((await ingestDay(day)).exit).toBe(0);
    expect(await belowAlert('2026-11-24')).toEqual([]);

    // Edited, not applied: the day is still judged with 99, and the command says so.
    setAlert('99.6');
    const edited = await ingestDay('2026-11-25');
    expect(edited.warned).toContain('注意：指标文件中 1 项指标的阈值与现行版本不同，尚未生效，判定仍按现行版本：全程网办率 预警值 99 → 99.6');
    expect(edited.warned).toContain('duban thresholds apply');
    expect(await belowAlert('2026-11-25')).toEqual([]);

    const applied = await run('thresholds', 'apply', '--reason', '按省考核办法调整预警值', '--by', '李四', '--effective', '2026-11-26', '--yes');
    expect(applied.out).toContain('~ 修改 全程网办率（full_online_rate）：预警值 99 → 99.6');
    expect(applied.out).toContain('已存为新版本：全程网办率 第 2 版（李四，自 2026-11-26 起）');
    expect(applied.warned).toBe('');

    for (const day of ['2026-11-26', '2026-11-27']) {
      const r = await ingestDay(day);
      expect(r).toMatchObject({ exit: 0, warned: '' });
    }
    // After the effective day: 宁国市's 99.3 is under the new 99.6; 宣州区's 99.8 is not.
    expect(await belowAlert('2026-11-26')).toEqual([{ unit: 'ningguo', expected_value: '99.6', explanation: expect.stringContaining('99.6'), version: 2 }]);
    // Before it: judged again on purpose, still with 99.
    expect((await run('evaluate', '--day', '2026-11-24')).exit).toBe(0);
    expect(await belowAlert('2026-11-24')).toEqual([]);

    for (const day of ['2026-11-23', '2026-11-25', '2026-11-26', '2026-11-27']) {
      const replay = await run('replay', '--day', day);
      expect(replay).toMatchObject({ exit: 0, out: expect.stringContaining('与记录完全一致') });
    }

    const list = async (day: string) => (await run('thresholds', 'list', '--day', day)).out;
    expect(await list('2026-11-25')).toMatch(/现行的阈值：[\s\S]*全程网办率\s+1\s+百分比\s+越高越好\s+99\s+100\s+10\s+全部单位[\s\S]*已存、尚未生效：[\s\S]*全程网办率\s+2\s+百分比\s+越高越好\s+99\.6\s+100\s+10\s+全部单位\s+2026-11-26\s+李四/);
    expect(await list('2026-11-26')).not.toContain('尚未生效');
    const history = (await run('thresholds', 'history', '全程网办率')).out;
    expect(history).toMatch(/第 1 版  \d{4}-01-01 起生效  duban  记录于 .*  指标登记：按指标文件建立第 1 版阈值/);
    expect(history).toMatch(/第 2 版  2026-11-26 起生效  李四  记录于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}  按省考核办法调整预警值\n\s+百分比，越高越好，预警值 99\.6，先进值 100，权重 10，全部单位（较上一版：预警值 99 → 99\.6）/);

    const log = (await run('audit', 'log', '--indicator', '全程网办率')).out;
    expect(log).toMatch(/李四\s+.*全程网办率 阈值第 2 版（修改），2026-11-26 起生效：预警值 99 → 99\.6；原因：按省考核办法调整预警值/);
    expect(log).toContain('阈值新版本');
  });

  it('applied back-dated, says which judged days keep their verdicts until judged again, and replays them as recorded', async () => {
    setAlert('99.4');
    const applied = await run('thresholds', 'apply', '--reason', '预警值更正', '--by', '王五', '--effective', '2026-11-24', '--yes');
    expect(applied.out).toContain('已存为新版本：全程网办率 第 3 版（王五，自 2026-11-24 起）');
    expect(applied.out).toContain('2026-11-24 至 2026-11-27 已评估过的 4 天仍保留原判定（按当时的版本）。要按新版本重新判定，逐日运行：duban evaluate --day 2026-11-24');
    for (const day of ['2026-11-24', '2026-11-26']) expect((await run('replay', '--day', day)).exit).toBe(0);
    expect(await belowAlert('2026-11-24')).toEqual([]);

    expect((await run('evaluate', '--day', '2026-11-24')).exit).toBe(0);
    expect(await belowAlert('2026-11-24')).toEqual([{ unit: 'ningguo', expected_value: '99.4', explanation: expect.stringContaining('99.4'), version: 3 }]);
    expect((await run('replay', '--day', '2026-11-24')).exit).toBe(0);
    // The day before the effective day keeps version 1.
    expect((await run('evaluate', '--day', '2026-11-23')).exit).toBe(0);
    expect(await belowAlert('2026-11-23')).toEqual([]);
  });

  it('refuses an apply without a reason, and an unknown indicator with the nearest names', async () => {
    setAlert('99.5');
    await expect(run('thresholds', 'apply', '--reason', ' ', '--yes')).rejects.toThrow('应用阈值变更必须说明原因');
    await expect(run('thresholds', 'history', '全程网上办率')).rejects.toThrow('您是不是要找：全程网办率（full_online_rate）');
    expect((await run('thresholds', 'history', '全程网办率')).out).not.toContain('第 4 版');
  });
});
