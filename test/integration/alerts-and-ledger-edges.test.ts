/**
 * Edges of the 督办通知 and the 台账 through the real services and PostgreSQL: numbering under concurrency, Cc of the
 * 抄送 organs, escaping of units.yaml names, the 台账 export with no rows and past the calendar's last year.
 */
import ExcelJS from 'exceljs';
import { LEDGER_HEADERS } from '../../src/domain/audit-sheets';
import { WorkingCalendar } from '../../src/domain/working-calendar';
import { renderTable } from '../../src/export/table-export';
import { AlertService } from '../../src/services/alert.service';
import { AuditService } from '../../src/services/audit.service';
import { EvaluationService } from '../../src/services/evaluation.service';
import { LetterService } from '../../src/services/letter.service';
import { ProblemService } from '../../src/services/problem.service';
import { RulesService } from '../../src/services/rules.service';
import { ingestFixture, IngestFixture, ingestRows, silentLogger } from '../helpers/ingest-fixture';

let f: IngestFixture;
const DAY = '2026-11-20';
const morningAfter = () => new Date('2026-11-21T01:00:00Z');

beforeAll(async () => {
  f = await ingestFixture('edges');
  await new RulesService(f.db.db).apply(f.config.rules, { by: 'test', reason: '初始规则', effectiveFrom: '2026-09-01' });
  // 按时办结率 under 100%: a major anomaly (overdue_cases) for five counties.
  await ingestRows(f, DAY, ['宁国市', '郎溪县', '广德市', '泾县', '绩溪县'].map((u) => [u, '按时办结率', '99'] as [string, string, string]));
  await new EvaluationService({ db: f.db.db, config: f.config, logger: silentLogger }).evaluateDay(DAY, { trigger: 'test' });
  await new ProblemService({ db: f.db.db, config: f.config, logger: silentLogger }).absorb(DAY);
});
afterAll(async () => {
  await f.close();
});

const hostileUnits = () =>
  f.config.units.map((u) =>
    u.code === 'ningguo'
      ? { ...u, addressee: '宁国市<img src=x onerror=alert(1)>数据资源局', copyTo: [{ name: '宁国市<b>人民政府</b>办公室', email: 'ningguo@xuancheng.example.gov.cn' }, { name: '抄送2', email: 'operator@xuancheng.example.gov.cn' }] }
      : u,
  );

describe('督办通知 edges', () => {
  it('numbers the notices of one day uniquely when three evaluations write them at once', async () => {
    const config = { ...f.config, units: hostileUnits(), delivery: { ...f.config.delivery, operatorEmail: 'operator@xuancheng.example.gov.cn' } };
    const svc = () => new AlertService({ db: f.db.db, config, logger: silentLogger, now: morningAfter });
    const results = await Promise.all([svc().writeForDay(DAY), svc().writeForDay(DAY), svc().writeForDay(DAY)]);
    expect(results.reduce((n, r) => n + r.alerts, 0)).toBe(5);
    const rows = await f.db.db.selectFrom('outbox').selectAll().where('kind', '=', 'alert').orderBy('id').execute();
    const numbers = rows.map((r) => /宣数督通〔2026〕1120-(\d+)号/.exec(r.subject)![1]);
    expect(new Set(numbers).size).toBe(rows.length);
    expect([...numbers].sort()).toEqual(['01', '02', '03', '04', '05']);

    const ningguo = rows.find((r) => r.recipient_key === 'ningguo')!;
    // Names from units.yaml are escaped in HTML.
    expect(ningguo.html).not.toContain('<img');
    expect(ningguo.html).not.toContain('<b>人民政府');
    // The 抄送 organ whose address is the unit's own and the one equal to the operator's: no address twice.
    expect(ningguo.to_addresses).toEqual(['ningguo@xuancheng.example.gov.cn']);
    expect(ningguo.cc_addresses).toEqual(['operator@xuancheng.example.gov.cn']);
  });
});

describe('台账 export edges', () => {
  const audit = () => new AuditService({ db: f.db.db, pool: f.db.pool, timezone: f.config.timezone });
  const calendar = () => new WorkingCalendar(f.config.calendar);

  it('writes a readable XLSX with no rows: title, as-of line, header, filter', async () => {
    const table = await audit().ledgerExport({ unit: 'jingde' }, { asOf: '2026-11-30', calendar: calendar(), bureau: '宣城市数据资源局', by: '孙审计', filterText: '单位 旌德县' });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await renderTable(table, 'xlsx')) as unknown as ExcelJS.Buffer);
    const sheet = book.getWorksheet('问题台账')!;
    expect(sheet.getCell('A2').value).toBe('截至 2026年11月30日 · 共 0 条 · 导出人 孙审计 · 筛选：单位 旌德县');
    expect(sheet.getRow(3).values).toEqual([undefined, ...LEDGER_HEADERS]);
    expect(sheet.autoFilter).toBe('A3:U3');
  });

  it('still exports once the year turns: the 台账 is a record, not a deadline computation', async () => {
    // The week-48 letter assigns the five problems (deadline 11/30): deadlines that run.
    await new LetterService({ db: f.db.db, config: f.config, logger: silentLogger, now: () => new Date('2026-11-23T00:30:00Z') }).issueWeek('2026-W48');
    const view = { calendar: calendar(), bureau: '宣城市数据资源局', by: '孙审计', filterText: '' };
    // As of the last day of 2026 it works …
    expect((await audit().ledgerExport({}, { ...view, asOf: '2026-12-31' })).rows).toHaveLength(5);
    // … and on the first working day of 2027, before config/calendar has its 2027.yaml: the 台账 is the auditors'
    // record, so it is still exported, 逾期 judged by calendar days and the working days left blank, as the as-of
    // line says; the 状态 filter agrees with the rows.
    const table = await audit().ledgerExport({}, { ...view, asOf: '2027-01-04' });
    expect(table.rows).toHaveLength(5);
    expect(table.heading?.[1]).toContain('工作日历缺少 2027 年，逾期工作日未计算');
    const col = (name: string) => LEDGER_HEADERS.indexOf(name);
    expect(table.rows.map((r) => [r[col('逾期工作日')], r[col('状态')]])).toEqual(Array(5).fill([null, '逾期']));
    expect((await audit().ledgerExport({ status: 'overdue' }, { ...view, asOf: '2027-01-04' })).rows).toHaveLength(5);
  });
});
