import { duban } from '../helpers/run-cli';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { tempDir } from '../helpers/temp-dir';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

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
    await expect(duban('--config', config.file, 'ingest', '--day', '2026-11-26', '--source', 'nope', '--file', '/tmp/x.csv')).rejects.toThrow('配置中没有名为“nope”的数据源');
    await expect(duban('--config', config.file, 'ingest', '--day', '2026-11-26', '--source', 'nope')).rejects.toThrow(
      '配置中没有名为“nope”的数据源（已配置：demo）',
    );
    config.remove();
  });

  it('takes a unit, indicator or state by code, Chinese name, alias or a unique beginning, and refuses an unknown one with the nearest names', async () => {
    const config = writeTestConfig({ sources: [] });
    const list = (...args: string[]) => duban('--config', config.file, 'problems', 'list', ...args);
    const byCode = await list('--unit', 'ningguo', '--indicator', 'full_online_rate', '--state', 'assigned');
    for (const args of [
      ['--unit', '宁国市', '--indicator', '全程网办率', '--state', '整改中'],
      ['--unit', '宁国', '--indicator', '全程网办率', '--state', '整改'],
      ['--unit', 'NINGGUO', '--indicator', ' 全程网办率 ', '--state', 'ASSIGNED'],
    ]) {
      expect(await list(...args)).toBe(byCode);
    }
    expect(await duban('--config', config.file, 'problems', 'list', '--unit', '市数据局')).toBe(await list('--unit', 'data_bureau'));

    const refused = (args: string[]) => list(...args).then(() => undefined, (err: Error & { exitCode?: number }) => ({ message: err.message, exitCode: err.exitCode }));
    expect(await refused(['--unit', '宁国县'])).toEqual({ message: '没有名为“宁国县”的单位。您是不是要找：宁国市（ningguo）', exitCode: 2 });
    expect(await refused(['--indicator', '全程网上办率'])).toMatchObject({ message: expect.stringContaining('您是不是要找：全程网办率（full_online_rate）'), exitCode: 2 });
    expect(await refused(['--state', '办结'])).toMatchObject({ message: expect.stringContaining('没有名为“办结”的状态'), exitCode: 2 });
    // A beginning shared by several names is not a guess.
    expect(await refused(['--unit', '市'])).toMatchObject({ message: expect.stringContaining('“市”可以指多个单位'), exitCode: 2 });
    config.remove();
  });

  it('exits 2 from the binary for an unknown name, in Chinese', async () => {
    const config = writeTestConfig({ sources: [] });
    const cli = path.join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
    const r = await promisify(execFile)(process.execPath, [cli, '--config', config.file, 'problems', 'list', '--unit', '火星'], { env: process.env }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('没有名为“火星”的单位');
    config.remove();
  });

  it('speaks Chinese in help and in commander’s own errors, and exits 2 for a wrong command line', async () => {
    const cli = path.join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [cli, ...args], { env: process.env }).then(
        (r) => ({ code: 0, out: `${r.stdout}${r.stderr}` }),
        (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: `${err.stdout}${err.stderr}` }),
      );
    const english = /Usage|Options|Commands|Arguments|display help|error:|required option|unknown (option|command)|Did you mean|default:/;
    for (const args of [['--help'], ['problems', 'list', '--help'], ['ingest', '--help'], ['audit', 'log', '--help']]) {
      const r = await run(...args);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/用法：/);
      expect(r.out).not.toMatch(english);
    }
    expect(await run('ingest')).toEqual({ code: 2, out: expect.stringContaining('缺少必填选项 --day') });
    expect(await run('problems', 'list', '--stat', 'x')).toEqual({ code: 2, out: expect.stringContaining('未知选项 --stat\n（您是不是要找 --state？）') });
    expect(await run('problems', 'show', 'abc')).toEqual({ code: 2, out: expect.stringContaining('问题编号应为 1 至 2147483647 之间的整数') });
    for (const args of [['ingest'], ['problemz'], ['problems', 'show', 'abc']]) expect((await run(...args)).out).not.toMatch(english);
  });

  it('says what to do when the database is not there, and refuses bad numbers before any query', async () => {
    const cli = path.join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
    const run = (url: string, ...args: string[]) =>
      promisify(execFile)(process.execPath, [cli, ...args], { env: { ...process.env, DATABASE_URL: url } }).then(
        (r) => ({ code: 0, out: `${r.stdout}${r.stderr}` }),
        (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: `${err.stdout}${err.stderr}` }),
      );
    const server = new URL(db.url);
    const missing = new URL(db.url);
    missing.pathname = `/${db.name}_missing`;
    const closed = new URL(db.url);
    closed.port = '1';
    expect(await run(closed.toString(), 'problems', 'list')).toEqual({ code: 1, out: expect.stringContaining('无法连接数据库 127.0.0.1:1/') });
    expect(await run(missing.toString(), 'problems', 'list')).toEqual({ code: 1, out: expect.stringContaining('不存在：先运行 duban migrate') });
    const empty = await createTestDatabase('cli_empty');
    try {
      // A database that exists but was never migrated (dropped to nothing but its name).
      await empty.admin().db.schema.dropSchema('public').cascade().execute();
      await empty.admin().db.schema.createSchema('public').execute();
      expect(await run(empty.url, 'problems', 'list')).toEqual({ code: 1, out: expect.stringContaining('尚未初始化（缺少表）：先运行 duban migrate') });
    } finally {
      await empty.drop();
    }
    for (const [args, said] of [
      [['rejects', '--run', 'abc'], '运行号应为 1 至 2147483647 之间的整数'],
      [['rejects', '--run', '1', '--limit', '-5'], '行数应为 1 至 1000000 之间的整数'],
      [['problems', 'show', '99999999999999999999'], '问题编号应为 1 至 2147483647 之间的整数'],
      [['outbox', 'retry', 'abc'], '邮件编号应为'],
    ] as const) {
      const r = await run(server.toString(), ...args);
      expect(r).toEqual({ code: 2, out: expect.stringContaining(said) });
      expect(r.out).not.toMatch(/invalid input syntax|out of range|NaN/);
    }
  });

  it('issues API tokens shown once and stored hashed, lists them without the token, and revokes them', async () => {
    const config = writeTestConfig({ sources: [] });
    const made = await duban('--config', config.file, 'tokens', 'create', '--role', 'lead', '--unit', '宁国', '--name', '张三', '--expires', '90d', '--by', '王操作');
    expect(made).toMatch(/^已发放令牌 #(\d+)：张三（责任单位负责人，ningguo），有效至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\n令牌（只显示这一次，请妥善交给持有人）：\ndbn_[A-Za-z0-9_-]{43}$/);
    const id = /#(\d+)/.exec(made)![1]!;
    const token = made.split('\n').at(-1)!;
    const listed = await duban('--config', config.file, 'tokens', 'list');
    expect(listed).toMatch(new RegExp(`${id}\\s+张三\\s+责任单位负责人\\s+ningguo\\s+有效`));
    expect(listed).not.toContain(token);
    expect(await duban('--config', config.file, 'tokens', 'revoke', id, '--by', '王操作')).toBe(`已吊销令牌 #${id}。`);
    expect(await duban('--config', config.file, 'tokens', 'list')).toMatch(new RegExp(`${id}\\s+张三\\s+责任单位负责人\\s+ningguo\\s+已吊销（王操作）`));
    await expect(duban('--config', config.file, 'tokens', 'create', '--role', 'lead', '--name', '李四')).rejects.toThrow('责任单位负责人的令牌必须指定单位（--unit）');
    await expect(duban('--config', config.file, 'tokens', 'create', '--role', 'boss', '--name', '李四')).rejects.toThrow();
    config.remove();
  });

  it('shows rules with their parameters in words, and their history with local times', async () => {
    const config = writeTestConfig({ sources: [] });
    await duban('--config', config.file, 'rules', 'apply', '--reason', '初始规则', '--by', '张三', '--effective', '2026-01-01', '--yes');
    const list = await duban('--config', config.file, 'rules', 'list', '--day', '2026-11-26');
    expect(list).toMatch(/below_alert\s+1\s+\S+\s+阈值：未达预警值（按指标方向）/);
    expect(list).toMatch(/基线：明显偏离近 20 个工作日/);
    const history = await duban('--config', config.file, 'rules', 'history', 'below_alert');
    expect(history).toMatch(/^第 1 版  2026-01-01 起生效  张三  记录于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}  初始规则/);
    expect(list).toContain('指标 按时办结率');
    expect(`${list}\n${history}`).not.toMatch(/[{}]|"kind"|\bthreshold\b|\bbaseline\b|T\d{2}:\d{2}:\d{2}|on_time_completion_rate/);
    config.remove();
  });
});
