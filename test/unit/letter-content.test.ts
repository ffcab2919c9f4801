import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { renderMessage } from '../../src/delivery/render-message';
import { composeLetter, LetterInput, LetterProblem } from '../../src/domain/letter-content';
import { WorkingCalendar } from '../../src/domain/working-calendar';

const config = loadConfig();
const calendar = new WorkingCalendar(config.calendar);

const base: Omit<LetterProblem, 'id' | 'indicator' | 'situation' | 'state'> = {
  unit: '宁国市',
  category: 'simple',
  firstSeen: '2026-11-06',
  assignedOn: null,
  deadline: null,
  letterNo: null,
  closedOn: null,
  escalation: 'none',
  dataConfirmed: false,
  signedOffBy: null,
  respondedOn: null,
};

/** 宁国市 in week 48 of 2026: two new problems, one overdue and one on time, one awaiting verification, one closed. */
export const NINGGUO_W48: LetterInput = {
  week: '2026-W48',
  letterNo: '宣数督〔2026〕48-02号',
  letterDay: '2026-11-23',
  window: { from: '2026-11-16', to: '2026-11-22' },
  dataDay: '2026-11-22',
  unit: { code: 'ningguo', name: '宁国市' },
  bureau: { name: '宣城市数据资源局', seal: '宣城市数据资源局', office: '督查科', contact: { name: '督查科', phone: '0563-0000000', email: 'duban@xuancheng.example.gov.cn' } },
  calendar,
  deadlines: config.problems.deadlines,
  problems: [
    { ...base, id: 101, indicator: '按时办结率', situation: '宁国市 按时办结率 99.5%，低于阈值 100%', state: 'assigned', assignedOn: '2026-11-09', letterNo: '宣数督〔2026〕46-03号', deadline: '2026-11-16', escalation: 'supervise' },
    { ...base, id: 106, indicator: '好评率', situation: '宁国市 好评率 98.9%，低于预警值 99.5%', state: 'assigned', assignedOn: '2026-11-20', deadline: '2026-11-27' },
    { ...base, id: 102, indicator: '全程网办率', situation: '宁国市 全程网办率 98%，低于预警值 99%', state: 'pending_verification', assignedOn: '2026-11-16', deadline: '2026-11-23', dataConfirmed: true, respondedOn: '2026-11-19' },
    { ...base, id: 103, indicator: '即办件占比', situation: '宁国市 即办件占比 70%，低于预警值 76%', state: 'closed', closedOn: '2026-11-18', dataConfirmed: true, signedOffBy: '李四' },
    { ...base, id: 99, indicator: '网上办件率', situation: '宁国市 网上办件率 75%，低于预警值 80%', state: 'closed', closedOn: '2026-11-10', signedOffBy: '李四' },
    { ...base, id: 104, indicator: '零跑动事项占比', situation: '宁国市 零跑动事项占比 80%，低于预警值 90%', state: 'open', firstSeen: '2026-11-19' },
    { ...base, id: 105, indicator: '电子证照用证率', situation: '宁国市 电子证照用证率 60%，低于预警值 70%', state: 'open', firstSeen: '2026-11-20', category: 'cross_department' },
  ],
  indicators: [
    { indicator: '全程网办率', measure: '%', direction: 'higher', latest: '99.2', weekAgo: '98', alert: '99', rank: 3, peers: 7 },
    { indicator: '零跑动事项占比', measure: '%', direction: 'higher', latest: '80', weekAgo: '85.5', alert: '90', rank: 7, peers: 7 },
    { indicator: '12345按时办结率', measure: '%', direction: 'higher', latest: null, weekAgo: '97', alert: '95', rank: null, peers: 6 },
    { indicator: '即办件占比', measure: '%', direction: 'higher', latest: '77', weekAgo: '77', alert: '76', rank: 1, peers: 7 },
    { indicator: '网上办件率', measure: '%', direction: 'higher', latest: null, weekAgo: null, alert: '80', rank: null, peers: 0 },
  ],
};

describe('the weekly letter (交办函)', () => {
  const letter = composeLetter(NINGGUO_W48);

  it('assigns the 待交办 problems with deadlines counted in working days by category', () => {
    expect(letter.assignments).toEqual([
      { problemId: 104, category: 'simple', workingDays: 5, deadline: '2026-11-30' },
      { problemId: 105, category: 'cross_department', workingDays: 15, deadline: '2026-12-14' },
    ]);
    expect(letter.hasOpenProblems).toBe(true);
  });

  it('sorts problems into new, outstanding (overdue in working days), awaiting and closed this week', () => {
    const v = letter.view;
    expect(v.counts).toEqual({ new: 2, outstanding: 2, overdue: 1, awaiting: 1, closed: 1 });
    // Deadline 11/16; 11/17–11/20 and Monday 11/23 are five working days.
    expect(v.outstanding[0]).toMatchObject({ id: 101, overdue: true, status: '逾期 5 个工作日（已督办）', assigned: '宣数督〔2026〕46-03号 2026-11-09' });
    expect(v.outstanding[1]).toMatchObject({ id: 106, overdue: false, status: '剩余 4 个工作日' });
    expect(v.awaiting[0]).toMatchObject({ id: 102, respondedOn: '2026-11-19', progress: '数据已确认恢复，待核验签字' });
    expect(v.closed.map((c) => c.id)).toEqual([103]); // 99 was closed the week before
    expect(letter.problemIds).toEqual([104, 105, 101, 106, 102, 103]);
  });

  it('shows each indicator with its 预警值, change over the week (worse marked) and rank', () => {
    const rows = letter.view.indicators;
    expect(rows.map((r) => r.indicator)).toEqual(['全程网办率', '零跑动事项占比', '12345按时办结率', '即办件占比']);
    expect(rows[0]).toEqual({ indicator: '全程网办率', latest: '99.2%', alert: '99%', breaches: false, change: '+1.2', worse: false, rank: '3/7' });
    expect(rows[1]).toMatchObject({ latest: '80%', breaches: true, change: '-5.5', worse: true, rank: '7/7' });
    expect(rows[2]).toMatchObject({ latest: '未报送', change: '—', rank: '—' });
    expect(rows[3]).toMatchObject({ change: '持平' });
  });

  it('has nothing to assign and nothing open for a unit whose problems are all closed', () => {
    const closedOnly = composeLetter({ ...NINGGUO_W48, problems: NINGGUO_W48.problems.filter((p) => p.state === 'closed') });
    expect(closedOnly.hasOpenProblems).toBe(false);
    expect(closedOnly.assignments).toEqual([]);
  });

  it('refuses a category without a deadline', () => {
    const odd = { ...NINGGUO_W48, problems: [{ ...NINGGUO_W48.problems[5]!, category: 'urgent' }] };
    expect(() => composeLetter(odd)).toThrow('问题类别“urgent”在配置 problems.deadlines 中没有整改期限');
  });

  it('renders as the committed fixture (UPDATE_FIXTURES=1 rewrites it after a deliberate change)', () => {
    const message = renderMessage(config.templates.letter, letter.view);
    const fixture = (ext: string) => path.join(__dirname, '..', 'fixtures', 'letters', `ningguo-2026-W48.${ext}`);
    const text = `Subject: ${message.subject}\n\n${message.text}`;
    if (process.env.UPDATE_FIXTURES === '1') {
      mkdirSync(path.dirname(fixture('html')), { recursive: true });
      writeFileSync(fixture('html'), message.html);
      writeFileSync(fixture('txt'), text);
    }
    expect(message.html).toBe(readFileSync(fixture('html'), 'utf8'));
    expect(text).toBe(readFileSync(fixture('txt'), 'utf8'));
  });

  it('is a mail a 600 px client shows as sent: inline styles, real tables, nothing fetched from outside', () => {
    const { html, text, subject } = renderMessage(config.templates.letter, letter.view);
    expect(subject).toBe('【督办交办函】宣数督〔2026〕48-02号 宁国市政务服务指标问题整改（2026年第48周）');
    expect(html).toContain('max-width:600px');
    expect(html).not.toMatch(/<script|<img|<link|<style|src=|https?:\/\//i);
    expect(html.match(/<table/g)).toHaveLength(5);
    // The plain text says what the HTML says: every problem, deadline and indicator.
    for (const s of ['问题 104', '2026-11-30', '2026-12-14', '逾期 5 个工作日（已督办）', '李四', '零跑动事项占比：80%', '宣数督〔2026〕48-02号', '2026年11月23日']) {
      expect(text).toContain(s);
    }
    for (const s of ['问题 104', '2026-11-30', '2026-12-14', '逾期 5 个工作日（已督办）', '李四', '宣数督〔2026〕48-02号', '2026年11月23日']) {
      expect(html).toContain(s);
    }
  });
});

describe('message templates', () => {
  it('escape values in HTML but not in the subject and plain text', () => {
    const view = { ...composeLetter(NINGGUO_W48).view, unit: { code: 'x', name: '宁国市<数据>&局' } };
    const m = renderMessage(config.templates.letter, view);
    expect(m.html).toContain('宁国市&lt;数据&gt;&amp;局：');
    expect(m.text).toContain('宁国市<数据>&局：');
    expect(m.subject).toContain('宁国市<数据>&局政务服务指标问题整改');
  });
});
