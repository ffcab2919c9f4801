import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { EvaluationService } from '../../src/services/evaluation.service';
import { ProblemActionService } from '../../src/services/problem-action.service';
import { ProblemService } from '../../src/services/problem.service';
import { RulesService } from '../../src/services/rules.service';
import { ingestFixture, IngestFixture, ingestRows, silentLogger } from '../helpers/ingest-fixture';
import { problemIdOf } from '../helpers/problem-lookup';
import { duban } from '../helpers/run-cli';
import { tempDir } from '../helpers/temp-dir';
import { writeTestConfig } from '../helpers/test-config';

let f: IngestFixture;
let id: number;
let configFile: string;
const out = tempDir('duban-audit-');
const savedEnv = { ...process.env };
const MEASURES = '=HYPERLINK("http://evil.example/x","点我查看整改情况")';

beforeAll(async () => {
  f = await ingestFixture('audit');
  process.env.DATABASE_URL = f.db.url;
  process.env.LOG_LEVEL = 'silent';
  configFile = writeTestConfig({ sources: [] }).file;
  await new RulesService(f.db.db).apply(f.config.rules, { by: 'test', reason: '初始规则', effectiveFrom: '2026-09-01' });
  await ingestRows(f, '2026-09-28', [['宁国市', '全程网办率', '97']]);
  await new EvaluationService({ db: f.db.db, config: f.config, logger: silentLogger }).evaluateDay('2026-09-28', { trigger: 'test' });
  await new ProblemService({ db: f.db.db, config: f.config, logger: silentLogger }).absorb('2026-09-28');
  id = await problemIdOf(f.db.db, 'ningguo', 'full_online_rate');
  const actions = new ProblemActionService({ db: f.db.db, config: f.config });
  await actions.act(id, { type: 'assign' }, { actor: '督查科', on: '2026-09-28' });
  await actions.act(id, { type: 'respond', measures: MEASURES, evidence: ['佐证1.pdf', '佐证2.jpg'] }, { actor: '宁国市数据资源局', on: '2026-09-30' });
  await actions.act(id, { type: 'verify', by: '王核验', note: '措施属实' }, { actor: '王核验', on: '2026-10-08' });
});
afterAll(async () => {
  process.env = savedEnv;
  out.remove();
  await f.close();
});

describe('audit exports', () => {
  it('writes the 台账 as CSV with a BOM and Chinese headers, a formula-like measure made inert', async () => {
    const file = out.file('台账.csv');
    expect(await duban('--config', configFile, 'audit', 'ledger', '--format', 'csv', '--out', file)).toMatch(/^已导出台账 \d+ 个问题/);
    const bytes = readFileSync(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes, { bom: true }) as string[][];
    expect(rows[0]).toEqual(['台账编号', '发现日期', '来源', '指标/问题', '单位', '责任单位', '交办函号及日期', '整改期限', '整改措施', '进展', '完成日期', '佐证材料', '核验人及结论', '销号日期', '状态']);
    const row = rows.find((r) => r[0] === String(id))!;
    expect(row).toEqual([
      String(id),
      '2026-09-28',
      '日常监测（低于预警值）',
      '全程网办率：宁国市 全程网办率 97%，低于预警值 99%',
      '宁国市',
      '宁国市',
      '2026-09-28',
      '2026-10-10',
      `'${MEASURES}`,
      '已核验签字',
      '2026-09-30',
      '佐证1.pdf；佐证2.jpg',
      '王核验：措施属实',
      '',
      // 待核验, but its deadline (10/10) is past by the time anyone runs this: the ledger says so.
      '逾期',
    ]);
  });

  it('writes the 台账 as XLSX whose cells are text, never formulas', async () => {
    const file = out.file('台账.xlsx');
    await duban('--config', configFile, 'audit', 'ledger', '--format', 'xlsx', '--out', file);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    const sheet = workbook.getWorksheet('问题台账')!;
    expect(sheet.getRow(1).values).toEqual([undefined, '台账编号', '发现日期', '来源', '指标/问题', '单位', '责任单位', '交办函号及日期', '整改期限', '整改措施', '进展', '完成日期', '佐证材料', '核验人及结论', '销号日期', '状态']);
    let measures: ExcelJS.Cell | undefined;
    sheet.eachRow((r) => {
      if (r.getCell(1).value === id) measures = r.getCell(9);
    });
    expect(measures!.type).toBe(ExcelJS.ValueType.String);
    expect(measures!.value).toBe(MEASURES);
  });

  it('queries the ledger by problem, as JSON, and shows a problem’s whole story', async () => {
    const file = out.file('events.json');
    await duban('--config', configFile, 'audit', 'log', '--problem', String(id), '--format', 'json', '--out', file);
    const events = JSON.parse(readFileSync(file, 'utf8')) as Array<Record<string, unknown>>;
    expect(events.map((e) => e['事件'])).toEqual(['发现问题', '交办', '反馈整改', '核验签字']);
    expect(events[2]).toMatchObject({ 操作人: '宁国市数据资源局', 问题: id, 单位: '宁国市', 指标: '全程网办率' });

    const none = await duban('--config', configFile, 'audit', 'log', '--unit', 'ningguo', '--to', '2020-01-01');
    expect(none).toBe('没有符合条件的事件。');

    const story = await duban('--config', configFile, 'audit', 'problem', String(id));
    expect(story).toMatch(/2026-09-28\s+below_alert\s+v1\s+97\s+99/);
    expect(story).toContain('反馈整改');
    expect(story).toContain('核验签字');
    // Each event said as a sentence, its states in Chinese; no JSON where a person reads.
    expect(story).toMatch(/2026-09-28 发现指标异常问题，责任单位 宁国市/);
    expect(story).toMatch(/交办.*整改期限 \d{4}-\d{2}-\d{2}（待交办 → 整改中）/);
    expect(story).not.toMatch(/\{"|"\w+":|assigned|\bopen\b/);
    expect(events[0]).toMatchObject({ 事件类型: 'problem_opened' });

    // --from/--to are the days events are about (the problem was found on 9/28, recorded today); --recorded-* the clock.
    const aboutThatDay = await duban('--config', configFile, 'audit', 'log', '--problem', String(id), '--from', '2026-09-28', '--to', '2026-09-28');
    expect(aboutThatDay).toContain('发现问题');
    expect(await duban('--config', configFile, 'audit', 'log', '--problem', String(id), '--recorded-to', '2026-09-28')).toBe('没有符合条件的事件。');
  });
});
