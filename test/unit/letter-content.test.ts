import { loadConfig } from '../../src/config/load-config';
import { renderMessage } from '../../src/delivery/render-message';
import { composeLetter } from '../../src/domain/letter-content';
import { expectFixture, NINGGUO_W48, readable } from '../helpers/letter-fixtures';

const config = loadConfig();

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
    expect(v.counts).toEqual({ new: 2, outstanding: 2, overdue: 1, awaiting: 1, awaitingOverdue: 0, closed: 1 });
    // Deadline 11/16; 11/17–11/20 and Monday 11/23 are five working days.
    expect(v.outstanding[0]).toMatchObject({ id: 101, overdue: true, status: '逾期5个工作日（已督办）', assigned: '宣数督〔2026〕46-03号（11月9日）', deadline: '11月16日' });
    expect(v.outstanding[1]).toMatchObject({ id: 106, overdue: false, status: '剩余4个工作日', assigned: '11月20日交办' });
    expect(v.awaiting[0]).toMatchObject({ id: 102, respondedOn: '11月19日', progress: '数据已确认恢复，待核验' });
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
    expectFixture(config.templates.letter, letter.view, 'ningguo-2026-W48');
  });

  it('is laid out as GB/T 9704 has it: 版头, 标题, 主送机关, 正文, 附件说明, 署名, 成文日期, the attachments, 版记', () => {
    const rendered = renderMessage(config.templates.letter, letter.view);
    const [html, text] = [readable(rendered.html), rendered.text];
    const order = [
      '宣城市数据资源局', // 发文机关标志
      '宣数督〔2026〕48-02号', // 发文字号, under it
      '关于宁国市政务服务指标问题整改的交办函', // 标题, after the red separator
      '宁国市数据资源局：', // 主送机关: the organ, not the place
      '根据2026年第47周（11月16日至11月22日）', // 正文 names the week the data covers
      '附件：', // 附件说明
      '2026年11月23日', // 成文日期 in Chinese style
      '附件1',
      '附件2',
      '抄送：宁国市人民政府办公室。', // 版记
      '宣城市数据资源局督查科', // 印发机关
      '2026年11月23日印发',
    ];
    for (const body of [html, text]) {
      let at = -1;
      for (const part of order) {
        const next = body.indexOf(part, at + 1);
        expect({ part, found: next > at }).toEqual({ part, found: true });
        at = next;
      }
      // Sent by schedule: no meeting is claimed; no jargon of the detectors; every date one style.
      expect(body).not.toContain('局长办公会');
      expect(body).not.toMatch(/z 值|阈值|\d{4}-\d{2}-\d{2}(?!T)/);
    }
    // The red 版头 and separator, the reply route (link, mail, phone).
    expect(html).toMatch(/color:#d40000[^>]*>宣城市数据资源局</);
    expect(html).toContain('border-top:2px solid #d40000');
    for (const body of [html, text]) {
      for (const s of ['https://duban.xuancheng.example.gov.cn/reply?t=abc.def', '2026年12月23日前有效', 'duban@xuancheng.example.gov.cn', '0563-2021234', '督查科 王督办']) expect(body).toContain(s);
    }
  });

  it('shows a reply awaiting its checker past the deadline as overdue, with the step reached, as the summary does', () => {
    // 宁国市 answered on 11/10, nobody has verified; the deadline (11/13) ran on and the ladder reached 通报.
    const awaiting = { ...NINGGUO_W48.problems[2]!, id: 77, deadline: '2026-11-13', escalation: 'notify' as const, dataConfirmed: false, respondedOn: '2026-11-10' };
    const late = composeLetter({ ...NINGGUO_W48, problems: [awaiting] });
    expect(late.view.counts).toMatchObject({ awaiting: 1, awaitingOverdue: 1 });
    expect(late.view.awaiting[0]).toMatchObject({ id: 77, deadline: '11月13日', overdue: true, status: '逾期6个工作日（已通报）' });
    expect(late.view.summary).toContain('待核验1项（其中逾期1项）');
    const m = renderMessage(config.templates.letter, late.view);
    expect(m.text).toContain('三、待核验问题（1项，其中逾期1项）');
    expect(m.text).toMatch(/【问题编号77】[^\n]*\n[^\n]*整改期限：11月13日；逾期6个工作日（已通报）/);
    expect(readable(m.html)).toContain('逾期6个工作日（已通报）');
  });

  it('writes another year\'s dates with their year, the period too', () => {
    const january = composeLetter({
      ...NINGGUO_W48,
      week: '2026-W02',
      letterDay: '2026-01-05',
      window: { from: '2025-12-29', to: '2026-01-04' },
      problems: [{ ...NINGGUO_W48.problems[5]!, firstSeen: '2025-12-30' }],
    });
    expect(january.view.newProblems[0]!.foundOn).toBe('2025年12月30日');
    expect(january.view.period).toBe('2025年12月29日至1月4日');
    expect(january.view.weekLabel).toBe('2026年第1周');
  });

  it('says "经局长办公会研究" only where the bureau configures it', () => {
    const decided = composeLetter({ ...NINGGUO_W48, decisionClause: '经局长办公会研究，' });
    expect(decided.view.opening).toContain('政务服务指标日常监测情况，经局长办公会研究，现将你单位存在的问题交办如下');
    expect(letter.view.opening).toContain('政务服务指标日常监测情况，现将你单位存在的问题交办如下');
  });

  it('numbers its attachments as present: without problems only the indicators are attached', () => {
    expect(letter.view.attachments.map((a) => a.title)).toEqual(['宁国市政务服务指标问题清单', '宁国市政务服务主要指标情况']);
    const nothing = composeLetter({ ...NINGGUO_W48, problems: [] });
    expect(nothing.view.attachments).toEqual([{ no: 1, title: '宁国市政务服务主要指标情况', first: true }]);
    expect(nothing.view.problemList).toBeNull();
    expect(nothing.view.summary).toContain('主要指标情况见附件1');
  });

  it('is a mail a narrow client shows as sent: inline styles, real tables, nothing fetched from outside; the text says what the HTML says', () => {
    const rendered = renderMessage(config.templates.letter, letter.view);
    const [html, text, subject] = [readable(rendered.html), rendered.text, rendered.subject];
    expect(subject).toBe('【交办函】宣数督〔2026〕48-02号 关于宁国市政务服务指标问题整改的交办函（2026年第47周）');
    expect(html).toContain('max-width:640px');
    expect(html).not.toMatch(/<script|<img|<link|<style|src=/i);
    // The only address in it is the reply link.
    expect(html.match(/https?:\/\/[^"<\s]+/g)?.every((u) => u.startsWith('https://duban.xuancheng.example.gov.cn/reply'))).toBe(true);
    for (const s of ['问题编号104', '11月30日前', '12月14日前', '逾期5个工作日（已督办）', '李四', '宣数督〔2026〕48-02号', '2026年11月23日', '一般问题5个工作日、跨部门问题15个工作日']) {
      expect(text).toContain(s);
      expect(html).toContain(s);
    }
    expect(text).toContain('零跑动事项占比：80%');
  });
});

describe('message templates', () => {
  it('escape values in HTML but not in the subject and plain text', () => {
    const view = { ...composeLetter(NINGGUO_W48).view, addressee: '宁国市<数据>&局', title: '关于<数据>&局的交办函' };
    const m = renderMessage(config.templates.letter, view);
    expect(m.html).toContain('宁国市&lt;数据&gt;&amp;局：');
    expect(m.text).toContain('宁国市<数据>&局：');
    expect(m.subject).toContain('关于<数据>&局的交办函');
  });
});
