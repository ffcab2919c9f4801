import { dayRange } from '../../src/domain/day';
import { BacktestService, compareBy } from '../../src/services/backtest.service';
import { EvaluationService } from '../../src/services/evaluation.service';
import { ReplayService } from '../../src/services/replay.service';
import { RulesService } from '../../src/services/rules.service';
import { ingestFixture, IngestFixture, ingestRows, silentLogger } from '../helpers/ingest-fixture';

let f: IngestFixture;
let evaluation: EvaluationService;

const ingest = (day: string, rows: Array<[unit: string, indicator: string, value: string]>) => ingestRows(f, day, rows);

async function anomalies(day: string, ruleId?: string) {
  let q = f.db.db
    .selectFrom('anomalies as a')
    .innerJoin('units as u', 'u.id', 'a.unit_id')
    .innerJoin('indicators as i', 'i.id', 'a.indicator_id')
    .innerJoin('rule_versions as v', 'v.id', 'a.rule_version_id')
    .select(['a.rule_id', 'u.code as unit', 'i.code as indicator', 'a.severity', 'a.observed_value', 'a.expected_value', 'a.explanation', 'a.status', 'v.version'])
    .where('a.day', '=', day);
  if (ruleId) q = q.where('a.rule_id', '=', ruleId);
  return q.orderBy('a.rule_id').orderBy('u.code').execute();
}

beforeAll(async () => {
  f = await ingestFixture('evaluate');
  await new RulesService(f.db.db).apply(f.config.rules, { by: 'test', reason: '初始规则', effectiveFrom: '2026-09-01' });
  evaluation = new EvaluationService({ db: f.db.db, config: f.config, logger: silentLogger });
  // 9/29 and 9/30 are the last working days before 国庆 (10/1–10/7); 10/8 is the next.
  for (const day of ['2026-09-29', '2026-09-30', '2026-10-08']) {
    await ingest(day, [
      ['宁国市', '全程网办率', '97.2'],
      ['郎溪县', '全程网办率', '99'],
      ['绩溪县', '全程网办率', day === '2026-09-29' ? '99.5' : '98'],
      ['广德市', '按时办结率', '99.9'],
    ]);
  }
});
afterAll(() => f.close());

describe('evaluating a day against the rules in force', () => {
  it('finds threshold breaches, not values exactly at the threshold, and counts `for` across the 国庆 holiday', async () => {
    const summary = await evaluation.evaluateDay('2026-10-08', { trigger: 'test' });
    expect(summary.rules.find((r) => r.ruleId === 'below_alert')).toMatchObject({ version: 1, found: 3, new: 3 });

    // 郎溪县 sits exactly at 99: not below. 广德市's 按时办结率 99.9 is under its 预警值 100.
    expect(await anomalies('2026-10-08', 'below_alert')).toEqual([
      expect.objectContaining({ unit: 'guangde', indicator: 'on_time_completion_rate', expected_value: '100' }),
      expect.objectContaining({ unit: 'jixi', severity: 'warning', observed_value: '98', expected_value: '99' }),
      expect.objectContaining({ unit: 'ningguo', explanation: '宁国市 全程网办率 97.2%，低于预警值 99%', version: 1 }),
    ]);
    // Three working days in a row (9/29, 9/30, 10/8) for 广德市 and 宁国市, not 绩溪县: it was fine on 9/29.
    expect(await anomalies('2026-10-08', 'below_alert_sustained')).toEqual([
      expect.objectContaining({ unit: 'guangde', explanation: '广德市 按时办结率 99.9%，低于预警值 100%，已连续 3 个工作日' }),
      expect.objectContaining({ unit: 'ningguo', severity: 'major', explanation: '宁国市 全程网办率 97.2%，低于预警值 99%，已连续 3 个工作日' }),
    ]);
    expect(await anomalies('2026-10-08', 'overdue_cases')).toEqual([
      expect.objectContaining({ unit: 'guangde', severity: 'major', explanation: '广德市 按时办结率 99.9%，低于预警值 100%' }),
    ]);
    // Every series reported so far reported on 10/8; the rest (旌德县 好评率 …) were never reported: nothing is missing.
    expect(await anomalies('2026-10-08', 'not_reported')).toEqual([]);
  });

  it('is idempotent, and a revision that makes an anomaly no longer hold supersedes it without deleting it', async () => {
    const again = await evaluation.evaluateDay('2026-10-08', { trigger: 'test' });
    expect(again.rules.find((r) => r.ruleId === 'below_alert')).toMatchObject({ found: 3, new: 0, superseded: 0 });

    await ingest('2026-10-08', [['宁国市', '全程网办率', '99.5']]);
    const after = await evaluation.evaluateDay('2026-10-08', { trigger: 'test' });
    expect(after.rules.find((r) => r.ruleId === 'below_alert')).toMatchObject({ found: 2, new: 0, superseded: 1 });
    expect((await anomalies('2026-10-08', 'below_alert')).map((a) => [a.unit, a.status])).toEqual([
      ['guangde', 'active'],
      ['jixi', 'active'],
      ['ningguo', 'superseded'],
    ]);
  });

  it('keeps past days on the rule version in force then when a new version is applied', async () => {
    const next = f.config.rules.map((r) => (r.id === 'below_alert' && r.kind === 'threshold' ? { ...r, value: 97.5 } : r));
    await new RulesService(f.db.db).apply(next, { by: 'test', reason: '放宽', effectiveFrom: '2026-10-09' });
    await evaluation.evaluateDay('2026-10-08', { trigger: 'test' });
    // Under version 2 (97.5) 绩溪县's 98 would pass; 10/8 is still judged by version 1.
    expect((await anomalies('2026-10-08', 'below_alert')).filter((a) => a.status === 'active')).toEqual([
      expect.objectContaining({ unit: 'guangde', version: 1, expected_value: '100' }),
      expect.objectContaining({ unit: 'jixi', version: 1, expected_value: '99' }),
    ]);
  });

  it('finds drops against the previous working day across the holiday, at the edge, and not on tiny bases', async () => {
    await ingest('2026-09-30', [
      ['宣州区', '好评率', '99.9'],
      ['郎溪县', '零跑动事项占比', '95'],
      ['旌德县', '电子证照用证率', '5'],
    ]);
    await ingest('2026-10-08', [
      ['宣州区', '好评率', '97.5'],
      ['郎溪县', '零跑动事项占比', '93'],
      ['旌德县', '电子证照用证率', '1'],
    ]);
    await evaluation.evaluateDay('2026-10-08', { trigger: 'test' });
    expect(await anomalies('2026-10-08', 'daily_drop')).toEqual([
      // Exactly the 2 points of the rule: “下降 2 个百分点以上” includes 2.
      expect.objectContaining({ unit: 'langxi', observed_value: '93', expected_value: '95' }),
      expect.objectContaining({
        unit: 'xuanzhou',
        explanation: '宣州区 好评率 97.5%，较上一工作日（9月30日，99.9%）下降 2.4 个百分点',
      }),
    ]);
  });

  it('ranks units among their kind: ties at the bottom all count, and a field level with the best has no bottom', async () => {
    const next = f.config.rules.map((r) => (r.id === 'county_bottom' ? { ...r, for: 1 } : r));
    await new RulesService(f.db.db).apply(next, { by: 'test', reason: '排名按单日', effectiveFrom: '2026-11-02' });
    await ingest('2026-11-02', [
      ['宣州区', '电子证照用证率', '80'],
      ['郎溪县', '电子证照用证率', '70'],
      ['广德市', '电子证照用证率', '70'],
      ['宁国市', '电子证照用证率', '90'],
      ['宣州区', '即办件占比', '80'],
      ['郎溪县', '即办件占比', '80'],
      ['广德市', '即办件占比', '80'],
      ['市人社局', '电子证照用证率', '10'],
    ]);
    const summary = await evaluation.evaluateDay('2026-11-02', { trigger: 'test' });
    expect(summary.rules.find((r) => r.ruleId === 'county_bottom')).toMatchObject({ version: 2, found: 2 });
    // 市人社局 is a department: not among the counties it would otherwise trail.
    expect(await anomalies('2026-11-02', 'county_bottom')).toEqual([
      expect.objectContaining({ unit: 'guangde', explanation: '广德市 电子证照用证率 70%，在 4 个县（市、区）中列倒数第 1' }),
      expect.objectContaining({ unit: 'langxi', indicator: 'e_license_usage_rate' }),
    ]);
  });

  it('judges a day against its own history: flat windows, small deviations and too little history', async () => {
    const history = dayRange('2026-11-04', '2026-11-20').filter((d) => ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay()));
    expect(history).toHaveLength(13);
    for (const [k, day] of history.entries()) {
      await ingest(day, [
        ['宁国市', '12345 按时办结率', '99.5'],
        ['泾县', '12345 按时办结率', '99.5'],
        ['绩溪县', '12345 按时办结率', String(99 + (k % 4) * 0.2)],
        ...(k >= 8 ? [['广德市', '12345 按时办结率', '99.5'] as [string, string, string]] : []),
      ]);
    }
    await ingest('2026-11-23', [
      ['宁国市', '12345 按时办结率', '98.9'], // 0.6 under a flat window: fires
      ['泾县', '12345 按时办结率', '99.1'], // 0.4 under a flat window: under minDeviation
      ['绩溪县', '12345 按时办结率', '97'], // far under a varied window
      ['广德市', '12345 按时办结率', '90'], // only 5 days of history
    ]);
    const summary = await evaluation.evaluateDay('2026-11-23', { trigger: 'test' });
    const outcome = summary.rules.find((r) => r.ruleId === 'off_baseline')!;
    expect(outcome).toMatchObject({ found: 2 });
    expect(outcome.insufficientHistory).toBeGreaterThan(0);
    expect(await anomalies('2026-11-23', 'off_baseline')).toEqual([
      expect.objectContaining({ unit: 'jixi', expected_value: '99.2', explanation: '绩溪县 12345 按时办结率 97%，明显低于近 20 个工作日的正常水平（一般在 99.2% 左右）' }),
      expect.objectContaining({
        unit: 'ningguo',
        explanation: '宁国市 12345 按时办结率 98.9%，明显低于近 20 个工作日的正常水平（一直保持在 99.5%）',
      }),
    ]);
  });

  it('backtests proposed rules over history against the rules in force, and writes nothing', async () => {
    // below_alert is back at the 预警值 (99) since 11/02 (version 3); the proposal loosens it to 97.5.
    await ingest('2026-11-24', [
      ['宁国市', '全程网办率', '98'],
      ['郎溪县', '全程网办率', '97'],
    ]);
    await evaluation.evaluateDay('2026-11-24', { trigger: 'test' });
    const count = async () =>
      Promise.all(
        (['anomalies', 'evaluation_runs', 'rule_versions'] as const).map(async (t) =>
          Number((await f.db.db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
        ),
      );
    const before = await count();
    const recorded = await anomalies('2026-11-24');
    const proposed = f.config.rules.map((r) => (r.id === 'below_alert' && r.kind === 'threshold' ? { ...r, value: 97.5 } : r));
    const report = await new BacktestService({ db: f.db.db, evaluation }).run(proposed, '2026-11-24', '2026-11-24', 'below_alert');
    expect(compareBy(report, 'ruleId')).toEqual([
      { key: 'below_alert', current: expect.objectContaining({ anomalies: 2, facts: 2 }), proposed: expect.objectContaining({ anomalies: 1, facts: 1 }) },
    ]);
    expect(compareBy(report, 'unit').map((r) => [r.key, r.current.anomalies, r.proposed.anomalies])).toEqual([
      ['宁国市', 1, 0],
      ['郎溪县', 1, 1],
    ]);
    expect(await count()).toEqual(before);
    expect(await anomalies('2026-11-24')).toEqual(recorded);
  });

  it('replays a recorded day exactly, with the values and rule versions of then, even after later revisions', async () => {
    const recorded = await anomalies('2026-10-08');
    // Later: a new value for the day and a new rule version, neither evaluated yet.
    await ingest('2026-10-08', [['宁国市', '全程网办率', '90']]);
    const changed = f.config.rules.map((r) => (r.id === 'overdue_cases' && r.kind === 'threshold' ? { ...r, value: 99 } : r));
    await new RulesService(f.db.db).apply(changed, { by: 'test', reason: '放宽', effectiveFrom: '2026-10-01' });

    const report = await new ReplayService({ db: f.db.db, evaluation }).replay('2026-10-08');
    expect(report.recorded.length).toBeGreaterThan(0);
    expect(report.differences).toEqual([]);
    expect(report.replayed).toEqual(report.recorded);
    expect(await anomalies('2026-10-08')).toEqual(recorded);

    // Evaluating now, with the new value and the new version, does differ: the replay really undid both.
    await evaluation.evaluateDay('2026-10-08', { trigger: 'test' });
    const now = await anomalies('2026-10-08');
    expect(now.find((a) => a.rule_id === 'below_alert' && a.unit === 'ningguo')).toMatchObject({ status: 'active', observed_value: '90' });
    expect(now.find((a) => a.rule_id === 'overdue_cases')).toMatchObject({ status: 'superseded' });
  });

  it('holds a `for N` missing, change or baseline rule only where every day of the streak breaches', async () => {
    const forTwo = new Set(['not_reported', 'daily_drop', 'off_baseline']);
    const next = f.config.rules.map((r) => (forTwo.has(r.id) ? { ...r, for: 2 } : r));
    await new RulesService(f.db.db).apply(next, { by: 'test', reason: '连续两日才算', effectiveFrom: '2026-11-25' });
    // On top of the 13 days of history of the baseline test above. 旌德县 reports its 好评率 three working days, then
    // stops: expected, and missed two working days running.
    await ingest('2026-11-20', [['旌德县', '好评率', '99.9']]);
    await ingest('2026-11-23', [['旌德县', '好评率', '99.9']]);
    await ingest('2026-11-24', [
      ['宁国市', '12345 按时办结率', '99.5'],
      ['绩溪县', '12345 按时办结率', '99'],
      ['泾县', '12345 按时办结率', '99.5'],
      ['旌德县', '好评率', '99.9'],
    ]);
    await ingest('2026-11-25', [
      ['宁国市', '12345 按时办结率', '98.9'],
      ['绩溪县', '12345 按时办结率', '97'],
      ['泾县', '12345 按时办结率', '99.1'], // 0.4 under its flat baseline: too small
      ['广德市', '12345 按时办结率', '90'],
    ]);
    await ingest('2026-11-26', [
      ['宁国市', '12345 按时办结率', '98.9'], // under its flat baseline two days running
      ['绩溪县', '12345 按时办结率', '95'], // down 2 points two days running, and under its baseline both days
      ['泾县', '12345 按时办结率', '98.9'], // under its baseline today only
      // 广德市 does not report today: missing one day, not two.
    ]);
    await evaluation.evaluateDay('2026-11-26', { trigger: 'test' });
    const hotline = async (ruleId: string) => (await anomalies('2026-11-26', ruleId)).filter((a) => a.indicator === 'hotline_on_time_rate');
    expect((await hotline('off_baseline')).map((a) => a.unit)).toEqual(['jixi', 'ningguo']);
    expect(await hotline('daily_drop')).toEqual([
      expect.objectContaining({ unit: 'jixi', observed_value: '95', expected_value: '97', explanation: expect.stringContaining('已连续 2 个工作日') }),
    ]);
    const missing = await anomalies('2026-11-26', 'not_reported');
    expect(missing).toEqual([expect.objectContaining({ unit: 'jingde', indicator: 'satisfaction_rate', explanation: '旌德县 好评率 未报送数据，已连续 2 个工作日' })]);
  });
});
