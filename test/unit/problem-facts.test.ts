import { loadConfig } from '../../src/config/load-config';
import { describeFact, FactPart } from '../../src/domain/anomaly-explanation';
import { confirmationOf, confirmationWindow } from '../../src/domain/problem-confirmation';
import { mergeDuplicates, ProblemStatus } from '../../src/domain/problem-state';
import { WorkingCalendar } from '../../src/domain/working-calendar';
import { problemStatus } from '../helpers/problem-status';

const calendar = new WorkingCalendar(loadConfig().calendar);

const part = (kind: string, ruleId: string, explanation: string): FactPart => ({ kind, ruleId, explanation, unitName: '郎溪县', indicatorName: '好差评主动评价率' });

describe('a problem’s one line', () => {
  it('names the series and its value once, then every rule’s finding, a finding another extends left out', () => {
    expect(
      describeFact([
        part('change', 'daily_drop', '郎溪县 好差评主动评价率 97.4%，较上一工作日（11月26日，99.8%）下降 2.4 个百分点'),
        part('threshold', 'below_alert_sustained', '郎溪县 好差评主动评价率 97.4%，低于预警值 99%，已连续 3 个工作日'),
        part('threshold', 'below_alert', '郎溪县 好差评主动评价率 97.4%，低于预警值 99%'),
      ]),
    ).toBe('郎溪县 好差评主动评价率 97.4%，低于预警值 99%，已连续 3 个工作日；较上一工作日（11月26日，99.8%）下降 2.4 个百分点');
  });

  it('lists every indicator a unit did not report', () => {
    expect(
      describeFact([
        { kind: 'missing', ruleId: 'not_reported', explanation: '旌德县 好评率 未报送数据', unitName: '旌德县', indicatorName: '好评率' },
        { kind: 'missing', ruleId: 'not_reported', explanation: '旌德县 全程网办率 未报送数据', unitName: '旌德县', indicatorName: '全程网办率' },
      ]),
    ).toBe('旌德县 好评率、全程网办率 未报送数据');
    expect(describeFact([])).toBe('');
  });
});

describe('when the data confirm a recovery', () => {
  const all = () => true;
  const facts = (latestBreach: string | null) => ({ kind: 'value' as const, latestBreach, lastSeen: '2026-10-09' });

  it('counts working days after the latest breach, across 国庆', () => {
    expect(confirmationWindow(calendar, '2026-09-29', 3).workingDays).toEqual(['2026-09-30', '2026-10-08', '2026-10-09']);
    expect(confirmationOf(facts('2026-09-29'), { calendar, n: 3, latestData: '2026-10-09', reported: all, judged: all, stillMissing: 0 })).toEqual({
      confirmed: true,
      day: '2026-10-09',
      note: '2026-09-30 至 2026-10-09 连续 3 个工作日数据正常',
    });
  });

  it('waits for a working day without a value, and for days with values not yet judged, up to the latest data', () => {
    const without = confirmationOf(facts('2026-09-29'), { calendar, n: 3, latestData: '2026-10-09', reported: (d) => d !== '2026-10-08', judged: all, stillMissing: 0 });
    expect(without).toEqual({ confirmed: false, day: '2026-09-29', note: '2026-09-29 有异常，其后 3 个工作日中 2026-10-08 尚无数据' });
    // A holiday with values (10/3) not judged on them, or data beyond the window (10/12) not judged yet.
    for (const unjudged of ['2026-10-03', '2026-10-12']) {
      const answer = confirmationOf(facts('2026-09-29'), { calendar, n: 3, latestData: '2026-10-12', reported: all, judged: (d) => d !== unjudged, stillMissing: 0 });
      expect(answer).toMatchObject({ confirmed: false, note: `2026-09-29 有异常，${unjudged} 的数据尚待评估` });
    }
  });

  it('counts from the last breach revisions took back, when none stands', () => {
    expect(confirmationOf(facts(null), { calendar, n: 3, latestData: '2026-10-14', reported: all, judged: all, stillMissing: 0 })).toEqual({
      confirmed: true,
      day: '2026-10-13',
      note: '2026-10-10 至 2026-10-13 连续 3 个工作日数据正常（2026-10-09 的异常已因数据修订失效）',
    });
  });

  it('confirms missing data once every missing day is filled', () => {
    const missing = { kind: 'missing' as const, latestBreach: '2026-10-09', lastSeen: '2026-10-09' };
    expect(confirmationOf(missing, { calendar, n: 3, latestData: null, reported: all, judged: all, stillMissing: 2 })).toMatchObject({ confirmed: false, note: '仍有 2 项数据未报送' });
    expect(confirmationOf(missing, { calendar, n: 3, latestData: null, reported: all, judged: all, stillMissing: 0 })).toMatchObject({ confirmed: true });
  });
});

describe('merging duplicates of one fact', () => {
  const status = (extra: Partial<ProblemStatus>) => problemStatus(extra.state ?? 'open', extra);


  it('keeps the oldest, with the first assignment among them, and ends the others 已合并', () => {
    const decisions = mergeDuplicates(
      [
        { id: 9, status: status({ state: 'assigned', assignedOn: '2026-11-16', deadline: '2026-11-23', letterId: 4 }) },
        { id: 3, status: status({ reopenCount: 1 }) },
        { id: 5, status: status({ state: 'assigned', assignedOn: '2026-11-09', deadline: '2026-11-16', escalation: 'remind', letterId: 2 }) },
      ],
      '2026-11-20',
      '合并',
    );
    expect(decisions.map((d) => [d.id, d.decision.status.state])).toEqual([
      [3, 'assigned'],
      [5, 'merged'],
      [9, 'merged'],
    ]);
    expect(decisions[0]!.decision.status).toMatchObject({ assignedOn: '2026-11-09', deadline: '2026-11-16', escalation: 'remind', letterId: 2, reopenCount: 1 });
    expect(decisions[0]!.decision.event).toEqual({
      type: 'problem_absorbed',
      payload: { from: 'open', to: 'assigned', day: '2026-11-20', absorbed: [5, 9], reason: '合并', assignmentOf: 5 },
    });
    expect(decisions[2]!.decision.event).toEqual({ type: 'problem_merged', payload: { from: 'assigned', to: 'merged', day: '2026-11-20', into: 3, reason: '合并' } });
  });

  it('merges only live problems, and nothing when there is one', () => {
    expect(mergeDuplicates([{ id: 1, status: status({}) }], '2026-11-20', '合并')).toEqual([]);
    expect(() => mergeDuplicates([{ id: 1, status: status({}) }, { id: 2, status: status({ state: 'closed' }) }], '2026-11-20', '合并')).toThrow('只能合并待办中的问题');
  });
});
