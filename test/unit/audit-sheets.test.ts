import ExcelJS from 'exceljs';
import { loadConfig } from '../../src/config/load-config';
import { finding, LEDGER_HEADERS, LedgerSheetInput, ledgerRow, ledgerTable } from '../../src/domain/audit-sheets';
import { describeFact, FactPart } from '../../src/domain/anomaly-explanation';
import { Day, dayRange } from '../../src/domain/day';
import { readLedgerFilter } from '../../src/domain/ledger-filter';
import { LEDGER_STATUS_LABELS, LEDGER_STATUSES, ledgerStatus, LedgerStatusCondition, ledgerStatusCondition } from '../../src/domain/ledger-status';
import { ESCALATION_LEVELS, overdueWorkingDays } from '../../src/domain/problem-deadline';
import { PROBLEM_STATES } from '../../src/domain/problem-state';
import { neutraliseCell } from '../../src/domain/spreadsheet-cell';
import { WorkingCalendar } from '../../src/domain/working-calendar';
import { renderTable } from '../../src/export/table-export';

const config = loadConfig();
const calendar = new WorkingCalendar(config.calendar);
const label = (p: { state: LedgerSheetInput['state']; escalation: LedgerSheetInput['escalation'] }, deadline: Day | null, today: Day) =>
  LEDGER_STATUS_LABELS[ledgerStatus(p, deadline ? overdueWorkingDays(calendar, deadline, today) : 0)];

describe('台账 status', () => {
  it('tells 逾期, 督办 and 通报 apart for problems whose deadline runs, by working days past the deadline', () => {
    expect(label({ state: 'assigned', escalation: 'none' }, '2026-10-16', '2026-10-16')).toBe('整改中');
    // Due Friday 10/16: not yet 逾期 over the weekend, 逾期 on Monday.
    expect(label({ state: 'assigned', escalation: 'none' }, '2026-10-16', '2026-10-18')).toBe('整改中');
    expect(label({ state: 'assigned', escalation: 'none' }, '2026-10-16', '2026-10-19')).toBe('逾期');
    expect(label({ state: 'pending_verification', escalation: 'remind' }, '2026-10-16', '2026-10-20')).toBe('逾期');
    expect(label({ state: 'assigned', escalation: 'supervise' }, '2026-10-16', '2026-10-22')).toBe('督办');
    expect(label({ state: 'pending_verification', escalation: 'notify' }, '2026-10-16', '2026-10-30')).toBe('通报');
    // Closed, dismissed or not yet assigned: the state, whatever the ladder once said.
    expect(label({ state: 'closed', escalation: 'notify' }, '2026-10-16', '2026-11-30')).toBe('已销号');
    expect(label({ state: 'open', escalation: 'none' }, null, '2026-11-30')).toBe('待交办');
    expect(label({ state: 'dismissed', escalation: 'supervise' }, '2026-10-16', '2026-11-30')).toBe('已撤销');
  });

  it('is asked of stored problems by a condition that picks exactly the problems showing that status', () => {
    // The repository's WHERE reads the condition as this does; every state, step and deadline around 国庆 and weekends.
    const holds = (c: LedgerStatusCondition, p: { state: LedgerSheetInput['state']; escalation: LedgerSheetInput['escalation']; deadline: Day | null }) =>
      c.states.includes(p.state) &&
      (!c.escalations || c.escalations.includes(p.escalation)) &&
      (c.overdue === undefined || (c.overdue ? p.deadline !== null && p.deadline < c.cutoff : p.deadline === null || p.deadline >= c.cutoff));
    const deadlines = [null, ...dayRange('2026-09-28', '2026-10-12')];
    const wrong: string[] = [];
    for (const asOf of dayRange('2026-09-29', '2026-10-13')) {
      for (const state of PROBLEM_STATES) {
        for (const escalation of ESCALATION_LEVELS) {
          for (const deadline of deadlines) {
            const shown = ledgerStatus({ state, escalation }, deadline ? overdueWorkingDays(calendar, deadline, asOf) : 0);
            for (const status of LEDGER_STATUSES) {
              if (holds(ledgerStatusCondition(status, calendar, asOf), { state, escalation, deadline }) !== (shown === status)) wrong.push(`${asOf} ${state} ${escalation} ${deadline} ${status}`);
            }
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

const parts = (kind: string, explanation: string): FactPart => ({ kind, ruleId: `${kind}_rule`, explanation, unitName: '宁国市', indicatorName: '全程网办率' });

/** A problem found 10/12, assigned by letter, closed, reopened by a new breach, assigned by the next letter and closed again. */
const reopened: LedgerSheetInput = {
  id: 7,
  first_seen: '2026-10-12',
  kind: 'value',
  category: 'simple',
  severity: 'major',
  rule_names: ['低于预警值', '连续低于预警值'],
  indicator: '全程网办率',
  facts: [parts('threshold', '宁国市 全程网办率 97%，低于预警值 99%')],
  value: '97',
  alert: '99',
  measure: '%',
  unit: '宁国市',
  owner: '宁国市',
  assigned_on: '2026-11-02',
  letter_no: '宣数督〔2026〕45-01号',
  deadline: '2026-11-09',
  escalation: 'none',
  reopen_count: 1,
  closed_on: '2026-11-05',
  state: 'closed',
  history: [
    { type: 'problem_assigned', actor: 'duban', payload: { from: 'open', to: 'assigned', day: '2026-10-19', deadline: '2026-10-26', letterNo: '宣数督〔2026〕43-01号' } },
    { type: 'problem_responded', actor: '宁国市', payload: { from: 'assigned', to: 'pending_verification', day: '2026-10-20', measures: '增派窗口人员', evidence: ['排班表.pdf'] } },
    { type: 'problem_sent_back', actor: '李核验', payload: { from: 'pending_verification', to: 'assigned', day: '2026-10-21', reason: '佐证不足' } },
    {
      type: 'problem_responded',
      actor: '宁国市',
      payload: { from: 'assigned', to: 'pending_verification', day: '2026-10-21', measures: '补充排班和回访记录', evidence: ['排班表.pdf'], evidenceFiles: [{ id: 1, name: '回访.xlsx', sha256: 'ab'.repeat(32), size: 10 }] },
    },
    { type: 'problem_verified', actor: '王核验', payload: { from: 'pending_verification', to: 'pending_verification', day: '2026-10-22', by: '王核验', note: '措施属实' } },
    { type: 'problem_closed', actor: '督查科', payload: { from: 'pending_verification', to: 'closed', day: '2026-10-22' } },
    { type: 'problem_reopened', actor: 'duban', payload: { from: 'closed', to: 'open', day: '2026-10-26', reason: '再次异常', closedOn: '2026-10-22' } },
    { type: 'problem_assigned', actor: 'duban', payload: { from: 'open', to: 'assigned', day: '2026-11-02', deadline: '2026-11-09', letterNo: '宣数督〔2026〕45-01号' } },
    { type: 'problem_escalated', actor: 'duban', payload: { from: 'assigned', to: 'assigned', day: '2026-11-04', level: 'remind', deadline: '2026-11-03', overdueWorkingDays: 1 } },
    { type: 'problem_responded', actor: '宁国市', payload: { from: 'assigned', to: 'pending_verification', day: '2026-11-03', measures: '=HYPERLINK("x")' } },
    { type: 'problem_verified', actor: '李核验', payload: { from: 'pending_verification', to: 'pending_verification', day: '2026-11-04', by: '李核验' } },
    { type: 'problem_closed', actor: '督查科', payload: { from: 'pending_verification', to: 'closed', day: '2026-11-05' } },
  ],
};

describe('台账 row', () => {
  const row = (p: LedgerSheetInput, asOf: Day = '2026-11-30') => Object.fromEntries(LEDGER_HEADERS.map((h, i) => [h, ledgerRow(p, 3, asOf, calendar)[i]]));

  it('tells a reopened problem’s whole history: both letters, every reply and check, both closings and the reopening', () => {
    expect(row(reopened)).toEqual({
      序号: 3,
      台账编号: 7,
      问题来源: '低于预警值、连续低于预警值',
      责任单位: '宁国市',
      单位: '宁国市',
      指标: '全程网办率',
      问题描述: describeFact(reopened.facts!),
      发现日期: '2026-10-12',
      类别: '一般问题',
      严重程度: '重大',
      交办函号: '宣数督〔2026〕43-01号（2026-10-19）；宣数督〔2026〕45-01号（2026-11-02）',
      交办日期: '2026-11-02',
      整改时限: '2026-11-09',
      逾期工作日: null,
      督办等级: '提醒',
      整改措施: '增派窗口人员（2026-10-20 反馈）\n补充排班和回访记录（2026-10-21 反馈）\n=HYPERLINK("x")（2026-11-03 反馈）',
      佐证材料: `排班表.pdf；回访.xlsx（SHA-256 ${'ab'.repeat(6)}…）`,
      核验人及结论: '李核验 退回整改：佐证不足（2026-10-21）\n王核验：措施属实（2026-10-22）\n李核验 核验签字（2026-11-04）',
      销号日期: '2026-10-22 销号；2026-10-26 重开；2026-11-05 销号',
      重开次数: 1,
      状态: '已销号',
    });
  });

  it('gives a problem closed once its day, and one overdue its working days past the deadline and the highest step it reached', () => {
    const once = { ...reopened, reopen_count: 0, history: reopened.history.slice(0, 6), closed_on: '2026-10-22' };
    expect(row(once)).toMatchObject({ 销号日期: '2026-10-22', 重开次数: 0, 督办等级: null });
    // Reassigned after a 督办 (the ladder starts again): 逾期 now, 督办 the highest it reached.
    const late = {
      ...reopened,
      state: 'assigned' as const,
      closed_on: null,
      escalation: 'remind' as const,
      history: [...reopened.history.slice(0, 1), { type: 'problem_escalated' as const, actor: 'duban', payload: { from: 'assigned' as const, to: 'assigned' as const, day: '2026-10-29', level: 'supervise' as const, deadline: '2026-10-26', overdueWorkingDays: 3 } }],
    };
    // 11/09 is due; 11/10 to 11/13 and 11/16 are five working days.
    expect(row(late, '2026-11-16')).toMatchObject({ 逾期工作日: 5, 督办等级: '督办', 状态: '逾期', 销号日期: null });
    expect(row(late, '2026-11-09')).toMatchObject({ 逾期工作日: null, 状态: '整改中' });
  });

  it('says what was found on 发现日期 with the value beside its 预警值, once', () => {
    expect(finding(reopened).match(/预警值/g)).toHaveLength(1);
    // A rule that fired on a fall does not name the 预警值: it is added.
    const fall = { ...reopened, facts: [parts('change', '宁国市 全程网办率 95.2%，较上一工作日（2026-10-09，98.5%）下降 3.3 个百分点')], value: '95.2' };
    expect(finding(fall)).toBe(`${describeFact(fall.facts)}；实际值 95.2%，预警值 99%`);
    const missing = { ...reopened, kind: 'missing' as const, facts: [parts('missing', '宁国市 全程网办率 未报送数据')], value: null };
    expect(finding(missing)).toBe(describeFact(missing.facts));
    expect(row(missing)).toMatchObject({ 问题来源: '数据未报送' });
  });

  it('heads the table with the bureau’s title and an as-of line that says who exported it and how it was narrowed', () => {
    const table = ledgerTable([reopened], { asOf: '2026-11-30', calendar, bureau: '宣城市数据资源局', by: '孙审计', filterText: '单位 宁国市，状态 已销号' });
    expect(table.heading).toEqual(['宣城市数据资源局 政务服务指标问题台账', '截至 2026年11月30日 · 共 1 条 · 导出人 孙审计 · 筛选：单位 宁国市，状态 已销号']);
    expect(table.rows[0]![0]).toBe(1);
  });
});

describe('台账 filters', () => {
  it('reads units, indicators and states by name, code or alias, forgivingly, and says them', () => {
    expect(readLedgerFilter(config, { unit: '宁国', indicator: 'full_online_rate', state: '督办', from: '2026-10-01', to: '2026-10-31' })).toEqual({
      filter: { unit: 'ningguo', indicator: 'full_online_rate', status: 'supervised', from: '2026-10-01', to: '2026-10-31' },
      text: '单位 宁国市，指标 全程网办率，状态 督办，发现日期 2026-10-01 至 2026-10-31',
    });
    for (const [typed, status] of [['逾期', 'overdue'], ['提醒', 'overdue'], ['notify', 'notified'], ['通报', 'notified'], ['assigned', 'assigned'], ['整改中', 'assigned'], [' 已销号 ', 'closed'], ['OPEN', 'open']]) {
      expect(readLedgerFilter(config, { state: typed }).filter.status).toBe(status);
    }
    expect(readLedgerFilter(config, { to: '2026-10-31' }).text).toBe('发现日期 最早 至 2026-10-31');
    expect(readLedgerFilter(config, {})).toEqual({ filter: {}, text: '' });
  });

  it('refuses what is not a status, a unit or a day, saying what would be', () => {
    expect(() => readLedgerFilter(config, { state: '督办中' })).toThrow(/没有名为“督办中”的状态。您是不是要找：督办/);
    expect(() => readLedgerFilter(config, { unit: '宁国县' })).toThrow(/您是不是要找：宁国市（ningguo）/);
    expect(() => readLedgerFilter(config, { from: '2026-02-30' })).toThrow('不是有效日期（应为 YYYY-MM-DD）：2026-02-30');
    expect(() => readLedgerFilter(config, { from: '2026-11-01', to: '2026-10-01' })).toThrow('发现日期的起始日 2026-11-01 晚于截止日 2026-10-01');
  });
});

describe('spreadsheet cells', () => {
  it('neutralises text a spreadsheet would run as a formula, and only that', () => {
    for (const t of ['=1+1', '+86 123', '-5', '@SUM(A1)', '\t=1', '\r=1']) expect(neutraliseCell(t)).toBe(`'${t}`);
    for (const t of ['已整改', '99.5%', '', "'quoted"]) expect(neutraliseCell(t)).toBe(t);
  });

  it('keeps a table without heading or layout (the events export) one header row, frozen and filtered, text as text', async () => {
    const book = new ExcelJS.Workbook();
    const file = await renderTable({ title: '台账事件', headers: ['序号', '内容', '日期'], rows: [[1, '=1+1', '2026-10-12']] }, 'xlsx');
    await book.xlsx.load(file as unknown as ExcelJS.Buffer);
    const sheet = book.getWorksheet('台账事件')!;
    expect(sheet.getRow(1).values).toEqual([undefined, '序号', '内容', '日期']);
    expect(sheet.getRow(2).values).toEqual([undefined, 1, '=1+1', '2026-10-12']);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.autoFilter).toBe('A1:C1');
  });
});
