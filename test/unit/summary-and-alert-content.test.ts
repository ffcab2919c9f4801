import fc from 'fast-check';
import { loadConfig } from '../../src/config/load-config';
import { mainFileSchema } from '../../src/config/schema';
import { renderMessage } from '../../src/delivery/render-message';
import { alertNumber, composeAlert } from '../../src/domain/alert-message';
import { addDays } from '../../src/domain/day';
import { isoWeekOf, mondayOf, weekParts } from '../../src/domain/iso-week';
import type { LetterProblem } from '../../src/domain/letter-content';
import { reportingWindow } from '../../src/domain/letter-schedule';
import { composeSummary, SummaryInput } from '../../src/domain/summary-content';
import { WorkingCalendar } from '../../src/domain/working-calendar';
import { expectFixture, NINGGUO_W48, readable } from '../helpers/letter-fixtures';

const config = loadConfig();
const calendar = new WorkingCalendar(config.calendar);
const bureau = NINGGUO_W48.bureau;

const problem = (p: Partial<LetterProblem> & Pick<LetterProblem, 'id' | 'indicator' | 'state'> & { owner: string; ownerWritten?: boolean }) => ({
  unit: p.owner,
  category: 'simple',
  firstSeen: '2026-11-02',
  situation: `${p.owner} ${p.indicator} 低于预警值`,
  assignedOn: null,
  deadline: null,
  letterNo: null,
  closedOn: null,
  escalation: 'none' as const,
  dataConfirmed: false,
  signedOffBy: null,
  respondedOn: null,
  ownerWritten: true,
  ...p,
});

/** Week 48 of 2026: letters on Monday 11/23 about 11/16–22; 宁国市 and 郎溪县 late, one 通报 each, one city problem. */
const W48: SummaryInput = {
  week: '2026-W48',
  letterDay: '2026-11-23',
  window: reportingWindow(calendar, '2026-W48'),
  dataDay: '2026-11-22',
  bureau,
  lettersIssued: 3,
  city: '宣城市',
  calendar,
  ladder: config.problems.escalation,
  problems: [
    problem({ id: 3, owner: '宁国市', indicator: '12345 按时办结率', state: 'assigned', assignedOn: '2026-10-26', letterNo: '宣数督〔2026〕44-03号', deadline: '2026-11-02', escalation: 'notify' }),
    problem({ id: 9, owner: '宁国市', indicator: '零跑动事项占比', state: 'assigned', assignedOn: '2026-11-16', letterNo: '宣数督〔2026〕47-04号', deadline: '2026-11-18', escalation: 'supervise' }),
    problem({ id: 2, owner: '郎溪县', indicator: '按时办结率', state: 'assigned', assignedOn: '2026-10-26', letterNo: '宣数督〔2026〕44-02号', deadline: '2026-11-02', escalation: 'notify' }),
    problem({ id: 14, owner: '广德市', indicator: '好评率', state: 'closed', closedOn: '2026-11-19', signedOffBy: '李四' }),
    problem({ id: 23, owner: '市市场监管局', indicator: '电子证照用证率', state: 'pending_verification', assignedOn: '2026-11-09', deadline: '2026-11-30', category: 'cross_department' }),
    problem({ id: 31, owner: '绩溪县', indicator: '按时办结率', state: 'open', firstSeen: '2026-11-20' }),
    problem({ id: 20, owner: '宣城市', indicator: '12345 按时办结率', state: 'open', firstSeen: '2026-10-30', ownerWritten: false }),
  ],
  // As LetterRepository.indicatorOverview counts them: 全程网办率 宣城市 99.1 (99.3 a week before), 宁国市 98.5,
  // 郎溪县 99.4; 按时办结率 宣城市 99.8, 郎溪县 98.3.
  indicators: [
    { indicator: '全程网办率', measure: '%', direction: 'higher', alert: '99', fromCity: true, latest: 99.1, weekAgo: 99.3, reported: 2, breaching: 1, worst: [{ unit: '宁国市', latest: '98.5' }] },
    { indicator: '按时办结率', measure: '%', direction: 'higher', alert: '100', fromCity: true, latest: 99.8, weekAgo: 99.8, reported: 1, breaching: 1, worst: [{ unit: '郎溪县', latest: '98.3' }] },
  ],
  trend: [
    { week: '2026-W44', opened: 7, closed: 2 },
    { week: '2026-W45', opened: 7, closed: 3 },
    { week: '2026-W46', opened: 4, closed: 4 },
    { week: '2026-W47', opened: 1, closed: 1 },
  ],
};

describe("the director's summary (调度会材料)", () => {
  const view = composeSummary(W48);

  it('is labelled with the week the data covers, once: week 48 reports on 11/16–22, ISO week 47', () => {
    expect(view.weekLabel).toBe('2026年第47周');
    const m = renderMessage(config.templates.summary, view);
    expect(m.subject).toBe('【调度会材料】政务服务指标督办情况汇总（2026年第47周）');
    for (const body of [m.text, m.html]) {
      expect(body).toContain('2026年第47周，11月16日至11月22日');
      expect(body).not.toContain('第48周');
    }
  });

  it('labels every week with the ISO weeks of the days it covers, over holidays, 春节 and the turn of the year', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 52 * 4 }), (n) => {
        const week = isoWeekOf(addDays('2024-01-01', 7 * n));
        const window = reportingWindow(calendar, week);
        const label = composeSummary({ ...W48, week, window, letterDay: mondayOf(week), problems: [], indicators: [], trend: [] }).weekLabel;
        const covered: string[] = [];
        for (let d = window.from; d <= window.to; d = addDays(d, 1)) if (!covered.includes(isoWeekOf(d))) covered.push(isoWeekOf(d));
        // Whole weeks before the letter's own, named by their ISO numbers: the first and the last.
        expect(window.from).toBe(mondayOf(covered[0]!));
        expect(window.to).toBe(addDays(mondayOf(covered.at(-1)!), 6));
        expect(covered).not.toContain(week);
        const [first, last] = [weekParts(covered[0]!), weekParts(covered.at(-1)!)];
        const expected =
          covered.length === 1 ? `${first.year}年第${first.week}周` : first.year === last.year ? `${first.year}年第${first.week}至${last.week}周` : `${first.year}年第${first.week}周至${last.year}年第${last.week}周`;
        expect(label).toBe(expected);
      }),
      { numRuns: 250 },
    );
  });

  it('ranks units by overdue problems with their escalations by level, and names the 通报 items', () => {
    expect(view.overdueRanking.map((r) => [r.unit, r.overdue, r.remind, r.supervise, r.notify, r.levels])).toEqual([
      ['宁国市', 2, 0, 1, 1, '督办1项、通报1项'],
      ['郎溪县', 1, 0, 0, 1, '通报1项'],
    ]);
    expect(view.notified.map((n) => [n.id, n.unit, n.letterNo, n.deadline])).toEqual([
      [2, '郎溪县', '宣数督〔2026〕44-02号', '11月2日'],
      [3, '宁国市', '宣数督〔2026〕44-03号', '11月2日'],
    ]);
    // Bars as table cells, scaled to the worst.
    expect(view.overdueRanking.map((r) => r.bar)).toEqual([80, 40]);
  });

  it('gives the overdue and closure rates with the city total, and lists the problems no letter goes to', () => {
    expect(view.totals).toMatchObject({ live: 6, open: 2, assigned: 3, awaiting: 1, overdue: 3, closed: 1, fresh: 1, letters: 3, running: 4 });
    expect(view.rates).toEqual({ overdue: '75%', closure: '14.3%' });
    expect(view.unwritten.map((u) => [u.id, u.unit, u.state])).toEqual([[20, '宣城市', '待交办']]);
  });

  it("shows each indicator's city value, change on last week and the units under the 预警值", () => {
    expect(view.indicators).toEqual([
      expect.objectContaining({ indicator: '全程网办率', value: '99.1%', alert: '99%', change: '-0.2个百分点', worse: true, breaching: 1, reported: 2, worst: '宁国市 98.5%', missesAlert: false }),
      expect.objectContaining({ indicator: '按时办结率', value: '99.8%', change: '持平', breaching: 1, worst: '郎溪县 98.3%', missesAlert: true }),
    ]);
  });

  it('says 未达预警值 in the indicator\'s direction: over it for one where lower is better', () => {
    const slow = composeSummary({
      ...W48,
      // 宣城市 4.2 (3.9 a week before), 宁国市 5, 郎溪县 2.5; 预警值 3, lower is better.
      indicators: [
        { indicator: '平均办理时长', measure: '天', direction: 'lower', alert: '3', fromCity: true, latest: 4.2, weekAgo: 3.9, reported: 2, breaching: 1, worst: [{ unit: '宁国市', latest: '5' }] },
      ],
    });
    expect(slow.indicators[0]).toMatchObject({ value: '4.2 天', missesAlert: true, breaching: 1, reported: 2, worst: '宁国市 5 天', worse: true });
    const line = renderMessage(config.templates.summary, slow).text.split('\n').find((l) => l.includes('平均办理时长'))!;
    expect(line).toBe('  平均办理时长：4.2 天 ※未达预警值（预警值 3 天；较上周 +0.3）；未达预警值 1/2；最差：宁国市 5 天');
  });

  it('renders as the committed fixtures, HTML and text saying the same, with no scripts or outside images', () => {
    const m = expectFixture(config.templates.summary, view, 'summary-2026-W48');
    expect(m.html).not.toMatch(/<script|<img|<link|<style|src=|https?:\/\//i);
    for (const s of ['逾期率75%', '销号率14.3%', '全市合计', '拟通报问题（2项）', '市本级及本局问题', '宣数督〔2026〕44-02号', '2026年第44周']) {
      expect(m.text).toContain(s);
      expect(readable(m.html).replace(/<[^>]+>/g, '')).toContain(s);
    }
    // Email-safe bars: widths on table cells.
    expect(m.html).toMatch(/<td style="width:80%;background:#d40000;height:10px/);
  });

  it('says in one line that there is nothing to report for a week before any data or problem', () => {
    const empty = composeSummary({ ...W48, problems: [], indicators: [], dataDay: null, lettersIssued: 0, trend: [] });
    const m = renderMessage(config.templates.summary, empty);
    expect(m.text).toContain('2026年第47周（11月16日至11月22日）尚无监测数据，无在办问题，本期无督办事项。');
    expect(m.html).not.toContain('<th');
    expect(m.text).not.toMatch(/总体情况|逾期排名|指标情况/);
    // With data but no problem: one line, then the indicators.
    const quiet = renderMessage(config.templates.summary, composeSummary({ ...W48, problems: [], lettersIssued: 0 }));
    expect(quiet.text).toContain('本期无在办问题，未发现新问题，无逾期问题。');
    expect(quiet.text).not.toMatch(/总体情况|逾期排名|近期趋势/);
    expect(quiet.text).toContain('指标情况');
  });
});

describe('the same-day 督办通知 (alert)', () => {
  it('refuses a 文号 pattern without the day: {seq} starts each day, so its numbers would repeat', () => {
    const alerts = mainFileSchema.shape.alerts;
    expect(alerts.safeParse({ serialPattern: '宣数督通〔{year}〕{seq}号', checkWorkingDays: 1 }).success).toBe(false);
    expect(alerts.safeParse({ serialPattern: '宣数督通〔{year}〕{month}{day}{seq}号', checkWorkingDays: 1 }).success).toBe(true);
  });

  const view = composeAlert({
    unitName: '宁国市',
    addressing: { addressee: '宁国市数据资源局', copyTo: ['宁国市人民政府办公室'] },
    day: '2026-11-20',
    writtenOn: '2026-11-21',
    docNo: alertNumber(config.alerts.serialPattern, '2026-11-20', 3),
    checkWorkingDays: 1,
    calendar,
    bureau,
    items: [
      { indicator: '按时办结率', explanation: '宁国市 按时办结率 98.1%，低于预警值 100%；明显低于近 20 个工作日的正常水平（一直保持在 100%）', problemId: 32 },
      { indicator: '好评率', explanation: '宁国市 好评率 未报送数据', problemId: 33 },
    ],
    reply: { url: 'https://duban.xuancheng.example.gov.cn/reply?t=abc.def', until: '2026-12-21' },
  });

  it('is numbered, dated, and gives a 核查时限 in working days (a Saturday notice is due Monday)', () => {
    expect(view).toMatchObject({ docNo: '宣数督通〔2026〕1120-03号', day: '2026年11月20日', date: '2026年11月21日', deadline: '2026年11月23日', checkWorkingDays: 1 });
  });

  it('renders as the committed fixtures, in the letters’ form and words', () => {
    const m = expectFixture(config.templates.alert, view, 'alert-ningguo-2026-11-20');
    expect(m.subject).toBe('【督办通知】宣数督通〔2026〕1120-03号 宁国市2026年11月20日监测发现2项重大异常，请于2026年11月23日前核查反馈');
    const html = readable(m.html).replace(/<[^>]+>/g, '');
    const order = ['宣城市数据资源局', '宣数督通〔2026〕1120-03号', '关于宁国市政务服务指标重大异常的督办通知', '宁国市数据资源局：', '2026年11月23日前', '2026年11月21日', '抄送：宁国市人民政府办公室。', '2026年11月21日印发'];
    for (const body of [html, m.text]) {
      let at = -1;
      for (const part of order) {
        const next = body.indexOf(part, at + 1);
        expect({ part, found: next > at }).toEqual({ part, found: true });
        at = next;
      }
      expect(body).toContain('预警值');
      expect(body).not.toMatch(/阈值|\d{4}-\d{2}-\d{2}| 日监测/);
      expect(body).toContain('https://duban.xuancheng.example.gov.cn/reply?t=abc.def');
    }
  });
});
