import { sql } from 'kysely';
import { EvaluationService } from '../../src/services/evaluation.service';
import { LedgerService } from '../../src/services/ledger.service';
import { ProblemActionService } from '../../src/services/problem-action.service';
import { ProblemService } from '../../src/services/problem.service';
import { ReconcileService } from '../../src/services/reconcile.service';
import { RulesService } from '../../src/services/rules.service';
import { ingestFixture, IngestFixture, ingestRows, silentLogger } from '../helpers/ingest-fixture';
import { duban } from '../helpers/run-cli';
import { writeTestConfig } from '../helpers/test-config';

let f: IngestFixture;
let evaluation: EvaluationService;
let problems: ProblemService;

async function judge(day: string, rows: Array<[unit: string, indicator: string, value: string]>) {
  await ingestRows(f, day, rows);
  await evaluation.evaluateDay(day, { trigger: 'test' });
  return problems.absorb(day);
}

/** The problems about a unit's indicator (its value problems, or the missing-data problems listing it), oldest first. */
async function problemsOf(unit: string, indicator: string, kind: 'value' | 'missing') {
  return f.db.db
    .selectFrom('problems as p')
    .innerJoin('units as u', 'u.id', 'p.unit_id')
    .innerJoin('units as o', 'o.id', 'p.owner_unit_id')
    .select(['p.id', 'p.state', 'p.severity', 'p.first_seen', 'p.last_seen', 'p.anomaly_count', 'p.worst_value', 'p.reopen_count', 'p.rules', 'o.code as owner'])
    .where('u.code', '=', unit)
    .where('p.kind', '=', kind)
    .where((eb) =>
      eb.exists(eb.selectFrom('anomalies as a').innerJoin('indicators as i', 'i.id', 'a.indicator_id').select('a.id').whereRef('a.problem_id', '=', 'p.id').where('i.code', '=', indicator)),
    )
    .orderBy('p.id')
    .execute();
}

/** Stands in for the closing flow (verification and sign-off), which is not built yet. */
async function markClosed(id: number, on: string) {
  await sql`UPDATE problems SET state = 'closed', closed_on = ${on}::date WHERE id = ${id}`.execute(f.db.db);
}

let configFile: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  f = await ingestFixture('problems');
  // For `duban problems ...`, run in-process.
  process.env.DATABASE_URL = f.db.url;
  process.env.LOG_LEVEL = 'silent';
  configFile = writeTestConfig({ sources: [] }).file;
  await new RulesService(f.db.db).apply(f.config.rules, { by: 'test', reason: '初始规则', effectiveFrom: '2026-09-01' });
  evaluation = new EvaluationService({ db: f.db.db, config: f.config, logger: silentLogger });
  problems = new ProblemService({ db: f.db.db, config: f.config, logger: silentLogger });
});
afterAll(async () => {
  process.env = savedEnv;
  await f.close();
});

describe('problems from anomalies', () => {
  it('attaches repeated anomalies of a series to one problem, with count, first and last seen and the worst value', async () => {
    await judge('2026-09-28', [['宁国市', '全程网办率', '97.2']]);
    await judge('2026-09-29', [['宁国市', '全程网办率', '96.5']]);
    await judge('2026-09-30', [['宁国市', '全程网办率', '98']]);
    // below_alert on each day, and below_alert_sustained (major) on 9/30: all threshold rules, one problem.
    expect(await problemsOf('ningguo', 'full_online_rate', 'value')).toEqual([
      expect.objectContaining({ state: 'open', severity: 'major', first_seen: '2026-09-28', last_seen: '2026-09-30', anomaly_count: 4, worst_value: '96.5' }),
    ]);
    const [p] = await problemsOf('ningguo', 'full_online_rate', 'value');
    const linked = await f.db.db.selectFrom('anomalies').select('rule_id').where('problem_id', '=', p!.id).orderBy('id').execute();
    expect(linked.map((a) => a.rule_id)).toEqual(['below_alert', 'below_alert', 'below_alert', 'below_alert_sustained']);
  });

  it('gives a unit’s expected but missing data to one problem of the data-source department; never-reported series raise nothing', async () => {
    // 旌德县 reported its 好评率 and 全程网办率 on the three working days before 9/28 (中秋 took 9/25), then stopped.
    for (const d of ['2026-09-22', '2026-09-23', '2026-09-24']) {
      await ingestRows(f, d, [
        ['旌德县', '好评率', '99.9'],
        ['旌德县', '全程网办率', '99.5'],
      ]);
    }
    for (const d of ['2026-09-28', '2026-09-29', '2026-09-30']) {
      await evaluation.evaluateDay(d, { trigger: 'test' });
      await problems.absorb(d);
    }
    const [missing] = await problemsOf('jingde', 'satisfaction_rate', 'missing');
    expect(missing).toMatchObject({ owner: 'data_bureau', first_seen: '2026-09-28', last_seen: '2026-09-30', anomaly_count: 6, rules: ['not_reported'] });
    expect(await problemsOf('jingde', 'full_online_rate', 'missing')).toEqual([missing]);
    // The other units never reported these indicators: nothing is expected of them, nothing is missing.
    expect(await f.db.db.selectFrom('problems').select('id').where('kind', '=', 'missing').execute()).toEqual([{ id: missing!.id }]);
    expect((await problemsOf('ningguo', 'full_online_rate', 'value'))[0]).toMatchObject({ owner: 'ningguo' });
  });

  it('absorbs a day once: running it again attaches nothing twice', async () => {
    const before = await problemsOf('ningguo', 'full_online_rate', 'value');
    expect(await problems.absorb('2026-09-30')).toMatchObject({ anomalies: 0, opened: 0, reopened: 0, attached: 0 });
    expect(await problemsOf('ningguo', 'full_online_rate', 'value')).toEqual(before);
  });

  it('reopens a problem closed within the reopen window instead of opening another', async () => {
    const [p] = await problemsOf('ningguo', 'full_online_rate', 'value');
    await markClosed(p!.id, '2026-10-08');
    const summary = await judge('2026-10-09', [['宁国市', '全程网办率', '95']]);
    expect(summary.reopened).toBe(1);
    expect(await problemsOf('ningguo', 'full_online_rate', 'value')).toEqual([
      expect.objectContaining({ id: p!.id, state: 'open', reopen_count: 1, last_seen: '2026-10-09', anomaly_count: 5, worst_value: '95' }),
    ]);
    const reopened = await f.db.db.selectFrom('ledger_events').selectAll().where('type', '=', 'problem_reopened').where('problem_id', '=', p!.id).execute();
    expect(reopened).toEqual([expect.objectContaining({ actor: 'duban', payload: expect.objectContaining({ closedOn: '2026-10-08', day: '2026-10-09' }) })]);
  });

  it('opens a new problem when the old one was closed before the window', async () => {
    const [p] = await problemsOf('ningguo', 'full_online_rate', 'value');
    // Closed 10/9; 20 working days later (Saturday 10/10 is a 调休 working day) is 11/05: 11/09 is past the window.
    await markClosed(p!.id, '2026-10-09');
    await judge('2026-11-09', [['宁国市', '全程网办率', '98']]);
    expect(await problemsOf('ningguo', 'full_online_rate', 'value')).toEqual([
      expect.objectContaining({ id: p!.id, state: 'closed' }),
      expect.objectContaining({ state: 'open', first_seen: '2026-11-09', anomaly_count: 1, reopen_count: 0 }),
    ]);
  });

  it('lists problems from the CLI, filtered by state and unit', async () => {
    const printed = await duban('--config', configFile, 'problems', 'list', '--state', 'open', '--unit', 'ningguo', '--indicator', 'full_online_rate');
    const lines = printed.split('\n');
    expect(lines[0]).toMatch(/^编号\s+状态\s+级别\s+单位\s+指标\s+类型\s+规则\s+责任单位/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/待交办\s+一般\s+宁国市\s+全程网办率\s+指标异常\s+below_alert\s+宁国市\s+2026-11-09\s+2026-11-09\s+1\s+98%\s+0$/)]);
  });

  it('records each problem opened in the ledger, whose chain stays intact', async () => {
    const opened = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM problems`.execute(f.db.db)).rows[0]!.n);
    const events = await sql<{ n: string }>`SELECT count(*) AS n FROM ledger_events WHERE type = 'problem_opened'`.execute(f.db.db);
    expect(Number(events.rows[0]!.n)).toBe(opened);
    expect((await new LedgerService(f.db.db).verify()).broken).toBeUndefined();
  });

  it('follows a problem to closure: data confirmation plus sign-off closes, either alone does not', async () => {
    // Friday 11/13 in Shanghai.
    const actions = new ProblemActionService({ db: f.db.db, config: f.config, now: () => new Date('2026-11-13T02:00:00Z') });
    const reconcile = new ReconcileService({ db: f.db.db, config: f.config, logger: silentLogger });
    const [, p] = await problemsOf('ningguo', 'full_online_rate', 'value');
    const id = p!.id;
    await expect(actions.act(id, { type: 'close' }, { actor: '张三' })).rejects.toThrow('问题当前为“待交办”，不能销号；此状态下可以：交办、撤销');

    const assigned = await actions.act(id, { type: 'assign' }, { actor: '督查科' });
    expect(assigned).toMatchObject({ from: 'open', problem: { state: 'assigned', assigned_on: '2026-11-13', deadline: '2026-11-20' } });
    await actions.act(id, { type: 'respond', measures: '已增派窗口人员，补录办件', evidence: ['https://example.gov.cn/佐证.pdf'] }, { actor: '宁国市数据资源局' });
    expect((await actions.act(id, { type: 'verify', by: '王核验' }, { actor: '王核验' })).problem.state).toBe('pending_verification');
    await expect(actions.act(id, { type: 'close' }, { actor: '张三' })).rejects.toThrow('不能销号：数据尚未确认恢复');
    // Three good working days after the breach of 11/09, judged: the data confirm it.
    for (const day of ['2026-11-10', '2026-11-11', '2026-11-12']) await judge(day, [['宁国市', '全程网办率', '99.5']]);
    expect(await reconcile.reconcileDay('2026-11-12')).toMatchObject({ confirmed: 1 });
    expect((await actions.act(id, { type: 'close' }, { actor: '张三' })).problem).toMatchObject({ state: 'closed', closed_on: '2026-11-13' });

    // The data alone do not close either: 旌德县's late files fill its missing days (10/09 too, when it was still
    // expected), which confirms that problem.
    const [missing] = await problemsOf('jingde', 'satisfaction_rate', 'missing');
    await actions.act(missing!.id, { type: 'assign' }, { actor: '督查科' });
    await actions.act(missing!.id, { type: 'respond', measures: '已补报' }, { actor: '市数据资源局' });
    for (const day of ['2026-09-28', '2026-09-29', '2026-09-30', '2026-10-09']) {
      await judge(day, [
        ['旌德县', '好评率', '99.9'],
        ['旌德县', '全程网办率', '99.5'],
      ]);
    }
    await reconcile.reconcileDay('2026-09-30');
    expect((await problemsOf('jingde', 'satisfaction_rate', 'missing'))[0]).toMatchObject({ id: missing!.id });
    expect(await f.db.db.selectFrom('problems').select('data_confirmed').where('id', '=', missing!.id).executeTakeFirstOrThrow()).toEqual({ data_confirmed: true });
    await expect(actions.act(missing!.id, { type: 'close' }, { actor: '张三' })).rejects.toThrow('不能销号：尚无核验人签字');

    const timeline = await f.db.db.selectFrom('ledger_events').select(['type', 'actor', 'payload']).where('problem_id', '=', id).orderBy('seq').execute();
    expect(timeline.map((e) => e.type)).toEqual([
      'problem_opened',
      'problem_assigned',
      'problem_responded',
      'problem_verified',
      'problem_data_confirmed',
      'problem_closed',
    ]);
    expect(timeline[2]).toMatchObject({
      actor: '宁国市数据资源局',
      payload: { from: 'assigned', to: 'pending_verification', measures: '已增派窗口人员，补录办件', evidence: ['https://example.gov.cn/佐证.pdf'] },
    });
    expect((await new LedgerService(f.db.db).verify()).broken).toBeUndefined();
  });

  it('closes on the data alone where the configured policy says so', async () => {
    const dataOnly = { ...f.config, problems: { ...f.config.problems, closePolicy: { requireDataConfirmation: true, requireSignOff: false } } };
    const actions = new ProblemActionService({ db: f.db.db, config: dataOnly, now: () => new Date('2026-11-13T02:00:00Z') });
    const [missing] = await problemsOf('jingde', 'satisfaction_rate', 'missing');
    // Left 待核验 with the data confirmed and no sign-off by the test above, where the default policy refused.
    expect((await actions.act(missing!.id, { type: 'close' }, { actor: '张三' })).problem).toMatchObject({ state: 'closed', signed_off_by: null });
  });

  it('refuses an action the state does not allow from the CLI, and reopens with a reason', async () => {
    const [, p] = await problemsOf('ningguo', 'full_online_rate', 'value');
    await expect(duban('--config', configFile, 'problems', 'dismiss', String(p!.id), '--reason', '误报')).rejects.toThrow(
      '问题当前为“已销号”，不能撤销；此状态下可以：重新打开',
    );
    expect(await duban('--config', configFile, 'problems', 'reopen', String(p!.id), '--reason', '复查发现仍未整改', '--by', '李四')).toBe(
      `问题 ${p!.id}：已销号 → 待交办`,
    );
    const shown = await duban('--config', configFile, 'problems', 'show', String(p!.id));
    expect(shown).toMatch(/状态\s+待交办/);
    expect(shown).toMatch(/责任单位\s+宁国市/);
    expect(shown).toMatch(/重新打开\s+1/);
  });
});
