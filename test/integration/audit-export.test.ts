import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { LEDGER_HEADERS } from '../../src/domain/audit-sheets';
import { EvaluationService } from '../../src/services/evaluation.service';
import { LetterService } from '../../src/services/letter.service';
import { ProblemActionService } from '../../src/services/problem-action.service';
import { ProblemService } from '../../src/services/problem.service';
import { ReconcileService } from '../../src/services/reconcile.service';
import { RulesService } from '../../src/services/rules.service';
import { ingestFixture, IngestFixture, ingestRows, silentLogger } from '../helpers/ingest-fixture';
import { problemIdOf } from '../helpers/problem-lookup';
import { duban } from '../helpers/run-cli';
import { tempDir } from '../helpers/temp-dir';
import { writeTestConfig } from '../helpers/test-config';

let f: IngestFixture;
let configFile: string;
const ids = { ningguo: 0, langxi: 0, guangde: 0, fresh: 0, langxiMissing: 0, guangdeMissing: 0 };
const out = tempDir('duban-audit-');
const savedEnv = { ...process.env };
const MEASURES = '=HYPERLINK("http://evil.example/x","点我查看整改情况")';
/** Monday 2026-11-30, noon in Shanghai: the day every export here is as of. */
const AS_OF = '2026-11-30T04:00:00Z';

/**
 * October and November 2026 through the real services. 宁国市 全程网办率 found on 10/12 (97%, then 95% on 10/13),
 * assigned by the week-43 letter, answered, signed, confirmed by the data and closed on 10/22; below its 预警值 again on
 * 10/26, so reopened; assigned by the week-45 letter, answered, signed and closed again on 11/05. 广德市 the same
 * problem, closed once on 10/22. 郎溪县 the same problem, assigned and never answered: 督办 since 10/29. On 11/09 宁国市
 * 好评率 is found, and 郎溪县 and 广德市 report nothing: three problems not yet assigned, the two of missing data owned
 * by the data bureau (市数据资源局).
 */
beforeAll(async () => {
  f = await ingestFixture('audit');
  Object.assign(process.env, { DATABASE_URL: f.db.url, LOG_LEVEL: 'silent', DUBAN_NOW: AS_OF });
  configFile = writeTestConfig({ sources: [] }).file;
  const services = { db: f.db.db, config: f.config, logger: silentLogger };
  const evaluation = new EvaluationService(services);
  const problems = new ProblemService(services);
  const reconcile = new ReconcileService(services);
  const actions = new ProblemActionService({ db: f.db.db, config: f.config });
  /** The week's letters, written at 08:30 on its Monday. */
  const letters = (week: '2026-W43' | '2026-W45', monday: string) => new LetterService({ ...services, now: () => new Date(`${monday}T00:30:00Z`) }).issueWeek(week);
  const judge = async (day: string, ningguo: string, others = '99.5') => {
    await ingestRows(f, day, [
      ['宁国市', '全程网办率', ningguo],
      ['郎溪县', '全程网办率', day <= '2026-10-13' ? '97' : others],
      ['广德市', '全程网办率', day <= '2026-10-13' ? '96' : others],
    ]);
    await evaluation.evaluateDay(day, { trigger: 'test' });
    await problems.absorb(day);
  };
  const act = (id: number, action: Parameters<ProblemActionService['act']>[1], actor: string, on: string) => actions.act(id, action, { actor, on });

  await new RulesService(f.db.db).apply(f.config.rules, { by: 'test', reason: '初始规则', effectiveFrom: '2026-09-01' });
  await judge('2026-10-12', '97');
  await judge('2026-10-13', '95');
  for (const day of ['2026-10-14', '2026-10-15', '2026-10-16']) await judge(day, '99.5');
  ids.ningguo = await problemIdOf(f.db.db, 'ningguo', 'full_online_rate');
  ids.langxi = await problemIdOf(f.db.db, 'langxi', 'full_online_rate');
  ids.guangde = await problemIdOf(f.db.db, 'guangde', 'full_online_rate');

  expect(await letters('2026-W43', '2026-10-19')).toMatchObject({ assigned: 3 }); // due 10/26
  for (const id of [ids.ningguo, ids.guangde]) {
    const [measures, actor] = id === ids.ningguo ? [MEASURES, '宁国市数据资源局'] : ['已整改', '广德市数据资源局'];
    await act(id, { type: 'respond', measures, evidence: ['佐证1.pdf', '佐证2.jpg'] }, actor, '2026-10-20');
    await act(id, { type: 'verify', by: '王核验', note: '措施属实' }, '王核验', '2026-10-21');
  }
  expect(await reconcile.reconcileDay('2026-10-21')).toMatchObject({ confirmed: 3 });
  for (const id of [ids.ningguo, ids.guangde]) await act(id, { type: 'close' }, '督查科', '2026-10-22');

  await judge('2026-10-26', '96');
  for (const day of ['2026-10-27', '2026-10-28', '2026-10-29']) await judge(day, '99.5');
  // 郎溪县, due 10/26, is 3 working days late on 10/29: 督办.
  expect((await reconcile.reconcileDay('2026-10-29')).escalated).toEqual([{ problemId: ids.langxi, level: 'supervise', overdue: 3 }]);
  expect(await letters('2026-W45', '2026-11-02')).toMatchObject({ assigned: 1 }); // the reopened one, due 11/09
  await act(ids.ningguo, { type: 'respond', measures: '已增派窗口人员' }, '宁国市数据资源局', '2026-11-03');
  await act(ids.ningguo, { type: 'verify', by: '李核验' }, '李核验', '2026-11-04');
  await act(ids.ningguo, { type: 'close' }, '督查科', '2026-11-05');

  await ingestRows(f, '2026-11-09', [
    ['宁国市', '全程网办率', '99.5'],
    ['宁国市', '好评率', '95'],
  ]);
  await evaluation.evaluateDay('2026-11-09', { trigger: 'test' });
  await problems.absorb('2026-11-09');
  ids.fresh = await problemIdOf(f.db.db, 'ningguo', 'satisfaction_rate');
  ids.langxiMissing = await problemIdOf(f.db.db, 'langxi', 'full_online_rate', 'missing');
  ids.guangdeMissing = await problemIdOf(f.db.db, 'guangde', 'full_online_rate', 'missing');
});
afterAll(async () => {
  process.env = savedEnv;
  out.remove();
  await f.close();
});

const ledger = (...args: string[]) => duban('--config', configFile, 'audit', 'ledger', '--by', '孙审计', ...args);

/** The 台账 as JSON, one object per problem keyed by the headers. */
async function exported(...filters: string[]): Promise<Array<Record<string, string | number | null>>> {
  const file = out.file(`台账-${Math.random().toString(36).slice(2)}.json`);
  await ledger('--format', 'json', '--out', file, ...filters);
  return JSON.parse(readFileSync(file, 'utf8'));
}

describe('the 台账 export', () => {
  it('tells a reopened problem’s whole story: both letters, both closings, the reopening, the facts of the day it was found', async () => {
    const rows = await exported();
    expect(rows.map((r) => r['台账编号'])).toEqual(Object.values(ids).sort((a, b) => a - b));
    expect(rows.map((r) => r['序号'])).toEqual([1, 2, 3, 4, 5, 6]);
    const story = rows.find((r) => r['台账编号'] === ids.ningguo)!;
    expect(story).toMatchObject({
      责任单位: '宁国市',
      单位: '宁国市',
      指标: '全程网办率',
      发现日期: '2026-10-12',
      类别: '一般问题',
      交办函号: expect.stringMatching(/^宣数督〔2026〕43-0\d号（2026-10-19）；宣数督〔2026〕45-0\d号（2026-11-02）$/),
      交办日期: '2026-11-02',
      整改时限: '2026-11-09',
      逾期工作日: null,
      督办等级: null,
      整改措施: `${MEASURES}（2026-10-20 反馈）\n已增派窗口人员（2026-11-03 反馈）`,
      佐证材料: '佐证1.pdf；佐证2.jpg',
      核验人及结论: '王核验：措施属实（2026-10-21）\n李核验 核验签字（2026-11-04）',
      销号日期: '2026-10-22 销号；2026-10-26 重开；2026-11-05 销号',
      重开次数: 1,
      状态: '已销号',
    });
    // What was found on 10/12, not on 10/13 or on the day it came back.
    expect(story['问题描述']).toContain('97%');
    expect(story['问题描述']).not.toMatch(/9[56]%/);
    expect(story['问题描述']).toContain('预警值 99%');
    expect(story['问题来源']).toContain('低于预警值');

    expect(rows.find((r) => r['台账编号'] === ids.langxi)).toMatchObject({
      交办函号: expect.stringMatching(/^宣数督〔2026〕43-0\d号（2026-10-19）$/),
      整改时限: '2026-10-26',
      // 10/27–10/30, then four whole weeks, and Monday 11/30.
      逾期工作日: 25,
      督办等级: '督办',
      状态: '督办',
      销号日期: null,
      重开次数: 0,
    });
    expect(rows.find((r) => r['台账编号'] === ids.guangde)).toMatchObject({ 销号日期: '2026-10-22', 重开次数: 0, 状态: '已销号' });
    expect(rows.find((r) => r['台账编号'] === ids.fresh)).toMatchObject({ 发现日期: '2026-11-09', 交办函号: null, 状态: '待交办' });
    // Missing data: owned by the supplier of the data, the unit beside it.
    expect(rows.find((r) => r['台账编号'] === ids.langxiMissing)).toMatchObject({ 问题来源: '数据未报送', 责任单位: '市数据资源局', 单位: '郎溪县', 指标: '全程网办率', 状态: '待交办' });
  });

  it('narrows by unit (as unit or owner), indicator, status and the days found, the ledger still checked whole', async () => {
    const idsOf = async (...filters: string[]) => (await exported(...filters)).map((r) => r['台账编号']);
    expect(await idsOf('--unit', '郎溪')).toEqual([ids.langxi, ids.langxiMissing]);
    expect(await idsOf('--unit', '市数据资源局')).toEqual([ids.langxiMissing, ids.guangdeMissing]);
    expect(await idsOf('--state', '督办')).toEqual([ids.langxi]);
    expect(await idsOf('--state', 'supervised')).toEqual([ids.langxi]);
    expect(await idsOf('--state', '逾期')).toEqual([]);
    expect(await idsOf('--state', 'closed', '--unit', 'ningguo')).toEqual([ids.ningguo]);
    expect(await idsOf('--state', '待交办', '--indicator', 'full_online_rate')).toEqual([ids.langxiMissing, ids.guangdeMissing]);
    expect(await idsOf('--indicator', '好评率')).toEqual([ids.fresh]);
    expect(await idsOf('--from', '2026-10-13', '--to', '2026-11-30', '--unit', 'ningguo')).toEqual([ids.fresh]);
    expect(await idsOf('--to', '2026-10-12', '--unit', 'guangde')).toEqual([ids.guangde]);

    const file = out.file('narrowed.csv');
    expect(await ledger('--format', 'csv', '--out', file, '--unit', 'ningguo', '--state', '已销号')).toBe(`已导出台账 1 个问题（单位 宁国市，状态 已销号）：${file}`);
    await expect(ledger('--format', 'csv', '--out', file, '--state', '督办中')).rejects.toThrow('没有名为“督办中”的状态');
    await expect(ledger('--format', 'csv', '--out', file, '--from', '2026-11-30', '--to', '2026-11-01')).rejects.toThrow('晚于截止日');
  });

  it('writes CSV for programs: a BOM, the header row and the data, a formula-like measure made inert', async () => {
    const file = out.file('台账.csv');
    expect(await ledger('--format', 'csv', '--out', file)).toBe(`已导出台账 6 个问题：${file}`);
    const bytes = readFileSync(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes, { bom: true }) as string[][];
    expect(rows[0]).toEqual(LEDGER_HEADERS);
    expect(rows[0]).toEqual(['序号', '台账编号', '问题来源', '责任单位', '单位', '指标', '问题描述', '发现日期', '类别', '严重程度', '交办函号', '交办日期', '整改时限', '逾期工作日', '督办等级', '整改措施', '佐证材料', '核验人及结论', '销号日期', '重开次数', '状态']);
    const row = rows.find((r) => r[1] === String(ids.ningguo))!;
    expect(row[15]).toBe(`'${MEASURES}（2026-10-20 反馈）\n已增派窗口人员（2026-11-03 反馈）`);
    expect(row[19]).toBe('1');
  });

  it('writes XLSX to be read and printed: title, as-of line, frozen and filtered header, dates as dates, A4 landscape', async () => {
    const file = out.file('台账.xlsx');
    await ledger('--format', 'xlsx', '--out', file);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(readFileSync(file) as unknown as ExcelJS.Buffer);
    const sheet = book.getWorksheet('问题台账')!;
    expect(sheet.getCell('A1').value).toBe('宣城市数据资源局 政务服务指标问题台账');
    expect(sheet.getCell('A2').value).toBe('截至 2026年11月30日 · 共 6 条 · 导出人 孙审计');
    expect(sheet.getRow(3).values).toEqual([undefined, ...LEDGER_HEADERS]);
    expect(sheet.autoFilter).toBe('A3:U3');
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 3 });
    expect(sheet.pageSetup).toMatchObject({ orientation: 'landscape', paperSize: 9, fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: '3:3' });

    const rowOf = (id: number) => [4, 5, 6, 7, 8, 9].map((n) => sheet.getRow(n)).find((r) => r.getCell(2).value === id)!;
    const col = (header: string) => LEDGER_HEADERS.indexOf(header) + 1;
    const guangde = rowOf(ids.guangde);
    expect(guangde.getCell(col('发现日期')).type).toBe(ExcelJS.ValueType.Date);
    expect(guangde.getCell(col('发现日期')).value).toEqual(new Date('2026-10-12T00:00:00Z'));
    expect(guangde.getCell(col('发现日期')).numFmt).toBe('yyyy-mm-dd');
    expect(guangde.getCell(col('销号日期')).type).toBe(ExcelJS.ValueType.Date);
    expect(guangde.getCell(col('销号日期')).value).toEqual(new Date('2026-10-22T00:00:00Z'));
    for (const header of ['序号', '台账编号', '重开次数']) expect(guangde.getCell(col(header)).type).toBe(ExcelJS.ValueType.Number);
    expect(rowOf(ids.langxi).getCell(col('逾期工作日')).value).toBe(25);

    const story = rowOf(ids.ningguo);
    expect(story.getCell(col('问题描述')).alignment).toMatchObject({ wrapText: true, vertical: 'top' });
    // A reopened problem's closings are a list, not one date; a formula-like measure is text, never a formula.
    expect(story.getCell(col('销号日期')).value).toBe('2026-10-22 销号；2026-10-26 重开；2026-11-05 销号');
    expect(story.getCell(col('整改措施')).type).toBe(ExcelJS.ValueType.String);
    expect(story.getCell(col('整改措施')).value).toBe(`${MEASURES}（2026-10-20 反馈）\n已增派窗口人员（2026-11-03 反馈）`);
  });

  it('refuses a narrowed export too while any problem disagrees with the ledger: the check is of the whole ledger', async () => {
    const admin = f.db.admin().db;
    await admin.updateTable('problems').set({ reopen_count: 0 }).where('id', '=', ids.ningguo).execute();
    try {
      await expect(ledger('--format', 'csv', '--out', out.file('refused.csv'), '--unit', 'langxi')).rejects.toThrow(
        `问题表与台账不一致，拒绝导出台账（共 1 处）：问题 ${ids.ningguo} 的重新打开次数：台账记载为“1”，问题表中为“0”`,
      );
    } finally {
      await admin.updateTable('problems').set({ reopen_count: 1 }).where('id', '=', ids.ningguo).execute();
    }
  });

  it('queries the ledger by problem, as JSON, and shows a problem’s whole story', async () => {
    const file = out.file('events.json');
    await duban('--config', configFile, 'audit', 'log', '--problem', String(ids.guangde), '--format', 'json', '--out', file);
    const events = JSON.parse(readFileSync(file, 'utf8')) as Array<Record<string, unknown>>;
    expect(events.map((e) => e['事件'])).toEqual(['发现问题', '交办', '反馈整改', '核验签字', '数据确认恢复', '销号']);
    expect(events[2]).toMatchObject({ 操作人: '广德市数据资源局', 问题: ids.guangde, 单位: '广德市', 指标: '全程网办率' });
    expect(events[0]).toMatchObject({ 事件类型: 'problem_opened' });

    const none = await duban('--config', configFile, 'audit', 'log', '--unit', 'guangde', '--to', '2020-01-01');
    expect(none).toBe('没有符合条件的事件。');

    const story = await duban('--config', configFile, 'audit', 'problem', String(ids.guangde));
    expect(story).toMatch(/2026-10-12\s+below_alert\s+v1\s+96\s+99/);
    expect(story).toContain('反馈整改');
    expect(story).toContain('核验签字');
    // Each event said as a sentence, its states in Chinese; no JSON where a person reads.
    expect(story).toMatch(/2026-10-12 发现指标异常问题，责任单位 广德市/);
    expect(story).toMatch(/交办（宣数督〔2026〕43-0\d号），整改期限 2026-10-26（待交办 → 整改中）/);
    expect(story).not.toMatch(/\{"|"\w+":|assigned|\bopen\b/);

    // --from/--to are the days events are about (the problem was found on 10/12, recorded today); --recorded-* the clock.
    const aboutThatDay = await duban('--config', configFile, 'audit', 'log', '--problem', String(ids.guangde), '--from', '2026-10-12', '--to', '2026-10-12');
    expect(aboutThatDay).toContain('发现问题');
    expect(await duban('--config', configFile, 'audit', 'log', '--problem', String(ids.guangde), '--recorded-to', '2026-10-12')).toBe('没有符合条件的事件。');
  });
});
