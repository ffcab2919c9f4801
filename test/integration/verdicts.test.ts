import path from 'node:path';
import { sql } from 'kysely';
import { dayRange } from '../../src/domain/day';
import { BacktestService, compareBy } from '../../src/services/backtest.service';
import { EvaluationService } from '../../src/services/evaluation.service';
import { LetterService } from '../../src/services/letter.service';
import { ProblemService } from '../../src/services/problem.service';
import { ReconcileService } from '../../src/services/reconcile.service';
import { RulesService } from '../../src/services/rules.service';
import { ingestFixture, ingestRows, silentLogger } from '../helpers/ingest-fixture';

/** One database per case: each starts from the shipped catalogue and rules, with nothing judged. */
async function fresh(label: string) {
  // The histories run into December: the ingest stands after them (no value may be for a day still to come).
  const f = await ingestFixture(label, { today: new Date('2026-12-31T04:00:00Z') });
  await new RulesService(f.db.db).apply(f.config.rules, { by: 'test', reason: '初始规则', effectiveFrom: '2026-01-01' });
  const evaluation = new EvaluationService({ db: f.db.db, config: f.config, logger: silentLogger });
  const problems = new ProblemService({ db: f.db.db, config: f.config, logger: silentLogger });
  const reconcile = new ReconcileService({ db: f.db.db, config: f.config, logger: silentLogger });
  /** What the pipeline does after a day's values come in: that day and the days after it that compare with it judged again. */
  const judge = async (day: string) => {
    const verdicts = await f.service.verdictsAfterChangeTo(day, f.config.ingest.lookbackDays);
    for (const v of verdicts) await evaluation.evaluateDay(v.day, { trigger: 'test' });
    for (const v of verdicts) await problems.absorb(v.day);
    return reconcile.reconcileDay(day);
  };
  const live = () =>
    sql<{ id: number; kind: string; unit: string; indicator: string | null; rules: string[]; owner: string; data_confirmed: boolean; state: string }>`
      SELECT p.id, p.kind, u.code AS unit, i.code AS indicator, p.rules, o.code AS owner, p.data_confirmed, p.state
      FROM problems p JOIN units u ON u.id = p.unit_id JOIN units o ON o.id = p.owner_unit_id LEFT JOIN indicators i ON i.id = p.indicator_id
      WHERE p.state IN ('open', 'assigned', 'pending_verification') ORDER BY p.id`
      .execute(f.db.db)
      .then((r) => r.rows);
  return { f, evaluation, problems, reconcile, judge, live };
}

describe('a problem is a fact', () => {
  let c: Awaited<ReturnType<typeof fresh>>;
  beforeAll(async () => {
    c = await fresh('verdicts_fact');
  });
  afterAll(() => c.f.close());

  it('a file of 40 days of one indicator: one problem for the county under its 预警值 (several rules), one for the county missing, nothing for what was never reported', async () => {
    const file = path.join(__dirname, '..', 'fixtures', 'verdicts', 'full-online-rate-40-days.csv');
    // Every day of the file, as a drop folder would bring it in; the last day is judged.
    for (const day of dayRange('2026-10-18', '2026-11-26')) {
      const [run] = await c.f.service.ingestDay(day, { trigger: 'test', sources: [c.f.csvSource(file)] });
      expect(run).toMatchObject({ status: 'succeeded' });
    }
    await c.judge('2026-11-26');

    const problems = await c.live();
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'value', unit: 'langxi', indicator: 'full_online_rate', owner: 'langxi' }),
      // The data-source department of 全程网办率 owes 旌德县's missing value.
      expect.objectContaining({ kind: 'missing', unit: 'jingde', indicator: null, owner: 'data_bureau', rules: ['not_reported'] }),
    ]);
    // Under the 预警值, three working days running, the worst county three days running, far from its own history.
    expect(problems[0]!.rules).toEqual(['below_alert', 'below_alert_sustained', 'county_bottom', 'off_baseline']);
    expect(await c.f.db.db.selectFrom('problems').select('id').execute()).toHaveLength(2);
  });

  it('shows one line per problem, the rules inside it, in the unit’s letter', async () => {
    const letters = new LetterService({ db: c.f.db.db, config: c.f.config, logger: silentLogger, now: () => new Date('2026-11-30T00:30:00Z') });
    const { message } = await letters.preview('2026-W49', 'langxi');
    // Six counties reported on 11/26: 旌德县 did not.
    const lines = message.text.split('\n').filter((l) => /【问题编号\d+】/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/郎溪县 全程网办率 96\.5%，低于预警值 99%，已连续 3 个工作日；明显低于近 20 个工作日的正常水平（.+）；在 6 个县（市、区）中列倒数第 1，已连续 3 个工作日$/);
  });
});

describe('verdicts on days that are not working days', () => {
  let c: Awaited<ReturnType<typeof fresh>>;
  beforeAll(async () => {
    c = await fresh('verdicts_weekend');
  });
  afterAll(() => c.f.close());

  it('never claims a streak of working days for a weekend day, nor measures it against a working day', async () => {
    // 宁国市 under its 预警值 from Thursday to Sunday; Sunday 11/22 is not a working day.
    for (const [day, value] of [['2026-11-19', '97'], ['2026-11-20', '97'], ['2026-11-21', '95'], ['2026-11-22', '96']] as const) {
      await ingestRows(c.f, day, [['宁国市', '全程网办率', value]]);
    }
    for (const day of ['2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22']) await c.evaluation.evaluateDay(day, { trigger: 'test' });
    const sunday = await sql<{ rule_id: string; explanation: string }>`SELECT rule_id, explanation FROM anomalies WHERE day = '2026-11-22' ORDER BY rule_id`.execute(c.f.db.db);
    // The day's own breach only: no "已连续 3 个工作日", and no change against Friday.
    expect(sunday.rows).toEqual([{ rule_id: 'below_alert', explanation: '宁国市 全程网办率 96%，低于预警值 99%' }]);
  });

  it('counts a weekend breach against a recovery: the working days that confirm it come after it', async () => {
    // 绩溪县: a breach on Wednesday 11/18, good Thursday and Friday, a breach on Saturday 11/21, good from Monday.
    const values: Array<[string, string]> = [
      ['2026-11-18', '97'],
      ['2026-11-19', '99.5'],
      ['2026-11-20', '99.5'],
      ['2026-11-21', '96'],
      ['2026-11-23', '99.5'],
      ['2026-11-24', '99.5'],
      ['2026-11-25', '99.5'],
    ];
    const confirmedAfter: Record<string, boolean> = {};
    for (const [day, value] of values) {
      await ingestRows(c.f, day, [['绩溪县', '全程网办率', value]]);
      await c.judge(day);
      confirmedAfter[day] = (await c.live()).find((p) => p.unit === 'jixi')!.data_confirmed;
    }
    // Thursday, Friday and Monday would be three good working days after Wednesday's breach; Saturday's breach
    // counts, so it takes Monday to Wednesday.
    expect(confirmedAfter).toEqual({
      '2026-11-18': false,
      '2026-11-19': false,
      '2026-11-20': false,
      '2026-11-21': false,
      '2026-11-23': false,
      '2026-11-24': false,
      '2026-11-25': true,
    });
    const confirmed = await sql<{ payload: { day: string; note: string } }>`SELECT payload FROM ledger_events WHERE type = 'problem_data_confirmed'`.execute(c.f.db.db);
    expect(confirmed.rows.map((r) => r.payload)).toEqual([expect.objectContaining({ day: '2026-11-25', note: '2026-11-23 至 2026-11-25 连续 3 个工作日数据正常' })]);
  });
});

describe('confirmation that holds in any order', () => {
  let c: Awaited<ReturnType<typeof fresh>>;
  beforeAll(async () => {
    c = await fresh('verdicts_order');
  });
  afterAll(() => c.f.close());

  it('re-running a past day confirms nothing first seen after it, and a late breach takes a confirmation back', async () => {
    // 宣州区: fine for a week, under its 预警值 on Thursday 11/26.
    for (const day of ['2026-11-19', '2026-11-20', '2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26']) {
      await ingestRows(c.f, day, [['宣州区', '全程网办率', day === '2026-11-26' ? '97' : '99.5']]);
      await c.judge(day);
    }
    // The runbook's "re-run a day", on a day before the breach: the window it would have looked at is clean.
    await c.judge('2026-11-20');
    expect((await c.live())[0]).toMatchObject({ unit: 'xuanzhou', data_confirmed: false });

    // Three good working days after it: confirmed. Then a late file for Saturday 11/28 shows a breach after the
    // breach: the confirmation is taken back, whichever day is reconciled.
    for (const day of ['2026-11-27', '2026-11-30', '2026-12-01']) {
      await ingestRows(c.f, day, [['宣州区', '全程网办率', '99.6']]);
      await c.judge(day);
    }
    expect((await c.live())[0]).toMatchObject({ data_confirmed: true });
    await ingestRows(c.f, '2026-11-28', [['宣州区', '全程网办率', '96']]);
    // As the daemon does after a late day: the day, and the days after it that compare with it, judged again.
    for (const day of ['2026-11-28', '2026-11-30', '2026-12-01']) await c.evaluation.evaluateDay(day, { trigger: 'test' });
    await c.problems.absorb('2026-11-28');
    expect((await c.reconcile.reconcileDay('2026-11-20')).regressed).toBe(1);
    expect((await c.live())[0]).toMatchObject({ data_confirmed: false });
    const regressed = await sql<{ payload: { day: string } }>`SELECT payload FROM ledger_events WHERE type = 'problem_data_regressed'`.execute(c.f.db.db);
    expect(regressed.rows.map((r) => r.payload.day)).toEqual(['2026-11-28']);
  });

  it('does not count a day whose values were revised and not yet judged again', async () => {
    // Monday to Wednesday after Saturday's breach are good, and judged: confirmed again.
    for (const day of ['2026-12-02', '2026-12-03']) {
      await ingestRows(c.f, day, [['宣州区', '全程网办率', '99.6']]);
      await c.judge(day);
    }
    expect((await c.live())[0]).toMatchObject({ data_confirmed: true });
    // 12/2 is revised to a breach; until it is judged again, it confirms nothing.
    await ingestRows(c.f, '2026-12-02', [['宣州区', '全程网办率', '98']]);
    await c.reconcile.reconcileDay('2026-12-03');
    expect((await c.live())[0]).toMatchObject({ data_confirmed: false });
  });
});

describe('backtests and re-evaluations', () => {
  let c: Awaited<ReturnType<typeof fresh>>;
  beforeAll(async () => {
    c = await fresh('verdicts_backtest');
  });
  afterAll(() => c.f.close());

  it('show 0 for a rule a proposal removes, and per unit the facts, not the rule hits', async () => {
    for (const day of ['2026-11-23', '2026-11-24', '2026-11-25']) {
      await ingestRows(c.f, day, [
        ['宁国市', '全程网办率', '97'],
        ['宁国市', '好评率', '99'],
      ]);
      await c.evaluation.evaluateDay(day, { trigger: 'test' });
    }
    const proposal = c.f.config.rules.filter((r) => r.id !== 'below_alert');
    const report = await new BacktestService({ db: c.f.db.db, evaluation: c.evaluation }).run(proposal, '2026-11-23', '2026-11-25');
    const byRule = new Map(compareBy(report, 'ruleId').map((r) => [r.key, r]));
    expect(byRule.get('below_alert')).toMatchObject({ current: { anomalies: 6 }, proposed: { anomalies: 0, facts: 0 } });
    // 宁国市: two facts (two indicators), whatever the number of rules that hit them.
    const ningguo = compareBy(report, 'unit').find((r) => r.key === '宁国市')!;
    expect(ningguo.current).toMatchObject({ facts: 2 });
    expect(ningguo.current.anomalies).toBeGreaterThan(2);
  });

  it('supersede a retired rule’s anomalies when a day is judged again', async () => {
    await new RulesService(c.f.db.db).apply(
      c.f.config.rules.filter((r) => r.id !== 'below_alert'),
      { by: 'test', reason: '停用', effectiveFrom: '2026-11-24' },
    );
    const summary = await c.evaluation.evaluateDay('2026-11-24', { trigger: 'test' });
    expect(summary.retiredSuperseded).toBe(2);
    const left = await sql<{ rule_id: string; status: string }>`SELECT DISTINCT rule_id, status FROM anomalies WHERE day = '2026-11-24' AND rule_id = 'below_alert'`.execute(c.f.db.db);
    expect(left.rows).toEqual([{ rule_id: 'below_alert', status: 'superseded' }]);
    // 11/23 is still judged by the version in force then.
    await c.evaluation.evaluateDay('2026-11-23', { trigger: 'test' });
    const kept = await sql<{ n: number }>`SELECT count(*)::int AS n FROM anomalies WHERE day = '2026-11-23' AND rule_id = 'below_alert' AND status = 'active'`.execute(c.f.db.db);
    expect(kept.rows[0]!.n).toBe(2);
  });
});
