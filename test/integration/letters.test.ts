import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { AppContext } from '../../src/app-context';
import type { DubanConfig } from '../../src/config/load-config';
import { createMailTransport, MailTransport } from '../../src/delivery/mail-transport';
import { AuditRepository } from '../../src/repositories/audit.repository';
import { ProblemRepository } from '../../src/repositories/problem.repository';
import { LetterService } from '../../src/services/letter.service';
import { OutboxRelay } from '../../src/services/outbox-relay.service';
import { EvaluationService } from '../../src/services/evaluation.service';
import { LedgerService } from '../../src/services/ledger.service';
import { ProblemActionService } from '../../src/services/problem-action.service';
import { ProblemService } from '../../src/services/problem.service';
import { ProblemTransitions } from '../../src/services/problem-transitions';
import { RulesService } from '../../src/services/rules.service';
import { ingestFixture, IngestFixture, ingestRows, silentLogger } from '../helpers/ingest-fixture';
import { problemIdOf } from '../helpers/problem-lookup';
import { duban } from '../helpers/run-cli';
import { startSmtpSink, SmtpSink } from '../helpers/smtp-sink';
import { tempDir } from '../helpers/temp-dir';
import { writeTestConfig } from '../helpers/test-config';

let f: IngestFixture;
let sink: SmtpSink;
let transport: MailTransport;
let app: AppContext;
let configFile: { file: string; remove(): void };
const ids = { overdue: 0, awaiting: 0, closed: 0, fresh: 0, langxi: 0 };

const DIRECTOR = 'director@xuancheng.example.gov.cn';
const MONDAY = new Date('2026-11-23T00:30:00Z');
const relay = (config: DubanConfig) => new OutboxRelay({ db: f.db.db, transport, config, logger: silentLogger, batch: 5 });
const letterService = (config: DubanConfig) => new LetterService({ db: f.db.db, config, logger: silentLogger, now: () => MONDAY });
const problem = (id: number) => f.db.db.selectFrom('problems').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const count = async (table: 'outbox' | 'letters' | 'ledger_events') =>
  Number((await f.db.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

/**
 * Week 48 of 2026 (letters on Monday 11/23, reporting on 11/16–11/22). 宁国市 has a problem overdue since 11/16, one
 * awaiting verification, one closed on 11/18 and one not yet assigned; 郎溪县 one not yet assigned; 广德市 none.
 */
beforeAll(async () => {
  // The weeks run into December: the ingest stands after them (no value may be for a day still to come).
  f = await ingestFixture('letters', { today: new Date('2026-12-31T04:00:00Z') });
  sink = await startSmtpSink();
  transport = createMailTransport(sink.url);
  configFile = writeTestConfig({
    sources: [],
    letters: { summaryRecipients: [DIRECTOR] },
    bureau: { name: '宣城市数据资源局', seal: '宣城市数据资源局', contact: { name: '督查科' }, unit: 'data_bureau' },
  });
  // Monday 08:30 in Shanghai, week 48's letter day.
  app = await AppContext.open({ configPath: configFile.file, env: { DATABASE_URL: f.db.url }, logger: silentLogger, now: () => MONDAY });

  await new RulesService(f.db.db).apply(
    f.config.rules.filter((r) => r.kind === 'threshold'),
    { by: 'test', reason: '初始规则', effectiveFrom: '2026-09-01' },
  );
  await ingestRows(f, '2026-10-30', [
    ['宁国市', '全程网办率', '99.5'],
    ['郎溪县', '全程网办率', '99.2'],
    ['广德市', '全程网办率', '99.6'],
  ]);
  await ingestRows(f, '2026-11-06', [
    ['宁国市', '按时办结率', '99.5'],
    ['宁国市', '全程网办率', '98'],
    ['宁国市', '即办件占比', '70'],
    ['宁国市', '零跑动事项占比', '80'],
    ['郎溪县', '全程网办率', '97'],
    ['广德市', '全程网办率', '99.6'],
  ]);
  await new EvaluationService({ db: f.db.db, config: f.config, logger: silentLogger }).evaluateDay('2026-11-06', { trigger: 'test' });
  await new ProblemService({ db: f.db.db, config: f.config, logger: silentLogger }).absorb('2026-11-06');
  ids.overdue = await problemIdOf(f.db.db, 'ningguo', 'on_time_completion_rate');
  ids.awaiting = await problemIdOf(f.db.db, 'ningguo', 'full_online_rate');
  ids.closed = await problemIdOf(f.db.db, 'ningguo', 'instant_item_ratio');
  ids.fresh = await problemIdOf(f.db.db, 'ningguo', 'zero_visit_ratio');
  ids.langxi = await problemIdOf(f.db.db, 'langxi', 'full_online_rate');

  const actions = new ProblemActionService({ db: f.db.db, config: f.config });
  const act = (id: number, action: Parameters<ProblemActionService['act']>[1], on: string) => actions.act(id, action, { actor: '督查科', on });
  await act(ids.overdue, { type: 'assign' }, '2026-11-09'); // due 11/16
  await act(ids.awaiting, { type: 'assign' }, '2026-11-16');
  await act(ids.awaiting, { type: 'respond', measures: '已开通全程网办' }, '2026-11-19');
  await act(ids.closed, { type: 'assign' }, '2026-11-09');
  await act(ids.closed, { type: 'respond', measures: '已调整即办事项' }, '2026-11-12');
  await act(ids.closed, { type: 'verify', by: '李四' }, '2026-11-18');
  // Confirmed and closed straight through the domain's decisions: the letters are the subject here, and the data that
  // would confirm it (three good working days) would change the letter's indicator table.
  await f.db.db.transaction().execute(async (tx) => {
    const transitions = new ProblemTransitions(tx, f.config);
    const [confirmedOn] = await new ProblemRepository(tx).lockMany([ids.closed]);
    const confirmed = transitions.decide(confirmedOn!, { type: 'data_confirmed', day: '2026-11-17' });
    await transitions.commit([confirmed], 'duban');
    const [closing] = await new ProblemRepository(tx).lockMany([ids.closed]);
    await transitions.commit([transitions.decide(closing!, { type: 'close', day: '2026-11-18' })], '督查科');
  });
});
afterAll(async () => {
  await app.close();
  transport.close();
  await sink.close();
  configFile.remove();
  await f.close();
});
beforeEach(() => {
  sink.received.length = 0;
  sink.reply = () => undefined;
});

describe('weekly letters (周交办)', () => {
  it('previews a letter without sending or changing anything', async () => {
    const before = { outbox: await count('outbox'), letters: await count('letters'), ledger: await count('ledger_events') };
    const preview = await app.services.letters.preview('2026-W48', 'ningguo');
    expect(preview).toMatchObject({ letterNo: '宣数督〔2026〕48-01号', issued: false, due: true, to: ['ningguo@xuancheng.example.gov.cn'] });
    expect(preview.assignments).toEqual([{ problemId: ids.fresh, category: 'simple', workingDays: 5, deadline: '2026-11-30' }]);
    expect(preview.message.text).toContain(`【问题编号${ids.fresh}】零跑动事项占比`);

    const dir = tempDir();
    const saved = { ...process.env };
    Object.assign(process.env, { DATABASE_URL: f.db.url, LOG_LEVEL: 'silent', DUBAN_NOW: MONDAY.toISOString() });
    try {
      const out = await duban('--config', configFile.file, 'letters', 'preview', '--unit', 'ningguo', '--week', '2026-W48', '--html', dir.file('letter.html'));
      expect(out).toContain('函号：宣数督〔2026〕48-01号（预览，发送时按当时顺序编号）');
      expect(out).toContain(`发送后交办 1 项问题：问题 ${ids.fresh} 限 2026-11-30 前整改`);
      expect(readFileSync(dir.file('letter.html'), 'utf8')).toContain('<table');
      await expect(duban('--config', configFile.file, 'letters', 'preview', '--unit', 'nowhere', '--week', '2026-W48')).rejects.toThrow('没有名为“nowhere”的单位');
    } finally {
      process.env = saved;
      dir.remove();
    }
    expect({ outbox: await count('outbox'), letters: await count('letters'), ledger: await count('ledger_events') }).toEqual(before);
    expect((await problem(ids.fresh)).state).toBe('open');
  });

  it('writes one numbered letter per unit with something open, assigns its 待交办 problems, and delivers it once', async () => {
    const runner = app.inlineRunner();
    const first = await runner.run('letters', { week: '2026-W48' });
    // The letters, then the summary they set off, then the relay's wake-up (no SMTP here: the test's relay sends).
    expect(first).toMatchObject({
      status: 'done',
      result: { week: '2026-W48', letterDay: '2026-11-23', letters: 2, assigned: 2, unaddressed: [] },
      followed: [{ step: 'summary', status: 'done', result: { summary: 'written' }, followed: [{ step: 'deliver', slot: 'letters-2026-W48', status: 'done' }] }],
    });
    // The step again, and the services behind the job-run guard: nothing more is written.
    expect(await runner.run('letters', { week: '2026-W48' })).toMatchObject({ status: 'skipped' });
    expect(await app.services.letters.issueWeek('2026-W48')).toMatchObject({ letters: 0, assigned: 0 });
    expect(await app.services.summary.writeWeek('2026-W48')).toBe('exists');

    const letters = await f.db.db
      .selectFrom('letters as l')
      .innerJoin('units as u', 'u.id', 'l.unit_id')
      .select(['u.code', 'l.seq', 'l.letter_no', 'l.letter_day'])
      .orderBy('l.seq')
      .execute();
    // 广德市 has nothing open: no letter. Numbered in catalogue order.
    expect(letters).toEqual([
      { code: 'langxi', seq: 1, letter_no: '宣数督〔2026〕48-01号', letter_day: '2026-11-23' },
      { code: 'ningguo', seq: 2, letter_no: '宣数督〔2026〕48-02号', letter_day: '2026-11-23' },
    ]);
    expect(await problem(ids.fresh)).toMatchObject({ state: 'assigned', assigned_on: '2026-11-23', deadline: '2026-11-30', escalation: 'none' });
    expect(await problem(ids.langxi)).toMatchObject({ state: 'assigned', assigned_on: '2026-11-23', deadline: '2026-11-30' });
    expect(await problem(ids.overdue)).toMatchObject({ state: 'assigned', assigned_on: '2026-11-09', deadline: '2026-11-16' });

    const events = await f.db.db.selectFrom('ledger_events').select(['type', 'problem_id', 'payload']).where('type', 'in', ['letter_issued', 'problem_assigned']).where('actor', '=', 'duban').orderBy('seq').execute();
    expect(events).toEqual([
      { type: 'letter_issued', problem_id: null, payload: expect.objectContaining({ letterNo: '宣数督〔2026〕48-01号', messageId: '<letter-2026-W48-langxi@duban>', assigns: [ids.langxi] }) },
      { type: 'letter_issued', problem_id: null, payload: expect.objectContaining({ letterNo: '宣数督〔2026〕48-02号', assigns: [ids.fresh], problems: [ids.fresh, ids.overdue, ids.awaiting, ids.closed] }) },
      ...[
        { id: ids.fresh, letterNo: '宣数督〔2026〕48-02号' },
        { id: ids.langxi, letterNo: '宣数督〔2026〕48-01号' },
      ]
        .sort((x, y) => x.id - y.id)
        .map((p) => ({ type: 'problem_assigned', problem_id: p.id, payload: { from: 'open', to: 'assigned', day: '2026-11-23', deadline: '2026-11-30', letterNo: p.letterNo } })),
    ]);
    const sheet = await new AuditRepository(f.db.db).ledgerSheet();
    expect(sheet.find((r) => r.id === ids.fresh)).toMatchObject({ letter_no: '宣数督〔2026〕48-02号', assigned_on: '2026-11-23' });

    expect(await relay(app.config).processAll()).toEqual({ delivered: 3, retried: 0, failed: 0 });
    expect(await relay(app.config).processAll()).toEqual({ delivered: 0, retried: 0, failed: 0 });
    expect(sink.received.map((m) => m.messageId).sort()).toEqual(['<letter-2026-W48-langxi@duban>', '<letter-2026-W48-ningguo@duban>', '<summary-2026-W48-director@duban>']);

    const letter = sink.received.find((m) => m.messageId === '<letter-2026-W48-ningguo@duban>')!;
    expect(letter.subject).toBe('【交办函】宣数督〔2026〕48-02号 关于宁国市政务服务指标问题整改的交办函（2026年第47周）');
    expect(letter.to).toMatchObject({ value: [{ address: 'ningguo@xuancheng.example.gov.cn' }] });
    expect(letter.from?.value[0]?.name).toBe('宣城市数据资源局督办系统');
    for (const body of [letter.text!, letter.html as string]) {
      expect(body).toContain('宣数督〔2026〕48-02号');
      expect(body).toMatch(new RegExp(`问题编号${ids.fresh}[\\s\\S]*11月30日前`)); // new, with its deadline
      expect(body).toContain('逾期5个工作日'); // 11/17–11/20 and 11/23
      expect(body).toContain(`问题编号${ids.awaiting}`);
      expect(body).toContain('李四'); // who signed off the problem closed on 11/18
      expect(body).toContain('2026年11月23日');
    }
    expect(letter.text).toContain('全程网办率：98%（预警值 99%；较上周 -1.5；排名 2/3） ※未达预警值');
    expect(letter.html).toContain('<table');

    const summary = sink.received.find((m) => m.messageId === '<summary-2026-W48-director@duban>')!;
    expect(summary.to).toMatchObject({ value: [{ address: DIRECTOR }] });
    expect(summary.subject).toBe('【调度会材料】政务服务指标督办情况汇总（2026年第47周）');
    expect(summary.text).toContain('本周发出交办函2份');
    expect(summary.text).toContain('1. 宁国市：逾期1项（尚未提醒1项），最长逾期5个工作日');
    expect(summary.text).toContain('未达预警值 2/3；最差：郎溪县 97%、宁国市 98%');
    expect(summary.html).toContain('<table');
    expect(await new LedgerService(f.db.db).verify()).toEqual({ checked: await count('ledger_events') });
  });

  it('keeps one letter per unit and week with unique numbers when two runs write the same week at once', async () => {
    const config = { ...app.config, letters: { ...app.config.letters, sendWhenNothingOpen: true } };
    // Both write in batches smaller than the week (transactions of 3 or 2 units, letters rendered 2 or 1 at a time), so
    // that whichever takes the week's lock first crosses their boundaries.
    const batched = (unitsPerTransaction: number, renderedAtOnce: number) =>
      new LetterService({ db: f.db.db, config, logger: silentLogger, now: () => MONDAY, batches: { unitsPerTransaction, renderedAtOnce } });
    const [a, b] = await Promise.all([batched(3, 2).issueWeek('2026-W49'), batched(2, 1).issueWeek('2026-W49')]);
    const letters = await f.db.db.selectFrom('letters').select(['unit_id', 'seq']).where('week', '=', '2026-W49').execute();
    // Every unit has an address in the shipped catalogue, and with sendWhenNothingOpen every one written to gets a
    // letter: not the city as a whole, nor the bureau itself.
    const written = app.config.units.filter((u) => u.kind !== 'city' && u.code !== app.config.bureau.unit);
    expect(app.config.bureau.unit).toBe('data_bureau');
    expect(a.letters + b.letters).toBe(written.length);
    expect(letters).toHaveLength(written.length);
    const codes = await f.db.db.selectFrom('letters as l').innerJoin('units as u', 'u.id', 'l.unit_id').select('u.code').where('l.week', '=', '2026-W49').execute();
    expect(codes.map((c) => c.code)).not.toEqual(expect.arrayContaining(['xuancheng']));
    expect(codes.map((c) => c.code)).not.toEqual(expect.arrayContaining(['data_bureau']));
    expect(new Set(letters.map((l) => l.unit_id)).size).toBe(letters.length);
    expect(letters.map((l) => l.seq).sort((x, y) => x - y)).toEqual(letters.map((_, k) => k + 1));
    // Each letter is tied to its own unit's message, and the ledger names that message.
    const tied = await f.db.db
      .selectFrom('letters as l')
      .innerJoin('units as u', 'u.id', 'l.unit_id')
      .innerJoin('outbox as o', 'o.id', 'l.outbox_id')
      .select(['u.code', 'o.recipient_key', 'o.message_id', 'o.subject', 'l.letter_no'])
      .where('l.week', '=', '2026-W49')
      .execute();
    const issued = await f.db.db.selectFrom('ledger_events').select('payload').where('type', '=', 'letter_issued').where(sql<boolean>`payload->>'week' = '2026-W49'`).execute();
    for (const t of tied) {
      expect(t).toMatchObject({ recipient_key: t.code, message_id: `<letter-2026-W49-${t.code}@duban>` });
      expect(t.subject).toContain(t.letter_no);
      expect(issued.filter((e) => (e.payload as { messageId: string }).messageId === t.message_id).map((e) => (e.payload as { letterNo: string }).letterNo)).toEqual([t.letter_no]);
    }
    // Nothing was 待交办 any more: the letters assign nothing.
    expect(a.assigned + b.assigned).toBe(0);
  });

  it('delivers each letter exactly once when two relays run at once', async () => {
    const [a, b] = await Promise.all([relay(app.config).processAll(), relay(app.config).processAll()]);
    // The week's letters (written by the service alone above: no summary step ran for W49).
    const written = app.config.units.filter((u) => u.kind !== 'city' && u.code !== app.config.bureau.unit);
    expect(a.delivered + b.delivered).toBe(written.length);
    const received = sink.received.map((m) => m.messageId!);
    expect(received).toHaveLength(written.length);
    expect(new Set(received).size).toBe(received.length);
    expect(received).toContain('<letter-2026-W49-guangde@duban>');
  });

  it('sends the week from the CLI through the same job, once', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { DATABASE_URL: f.db.url, LOG_LEVEL: 'silent', DUBAN_NOW: MONDAY.toISOString(), SMTP_URL: sink.url });
    try {
      const out = await duban('--config', configFile.file, 'letters', 'send', '--week', '2026-W50');
      expect(out).toContain('2026-W50（发函日 2026-12-07）：新写交办函 2 封，交办问题 0 项\n\n调度会材料已写入发件箱');
      expect(out).toContain('投递：送达 3');
      expect(await duban('--config', configFile.file, 'letters', 'send', '--week', '2026-W50')).toContain('2026-W50 的每周交办已运行过，不再重复发函。');
      const list = await duban('--config', configFile.file, 'letters', 'list', '--week', '2026-W50');
      expect(list).toMatch(/宣数督〔2026〕50-02号\s+宁国市\s+2026-12-07\s+3\s+0\s+已送达/);
    } finally {
      process.env = saved;
    }
    expect(sink.received.map((m) => m.messageId).sort()).toEqual(['<letter-2026-W50-langxi@duban>', '<letter-2026-W50-ningguo@duban>', '<summary-2026-W50-director@duban>']);
  });

  it('dates letters caught up late on the day they go out, so deadlines count from then', async () => {
    const wednesday = new Date('2026-12-16T02:00:00Z');
    await ingestRows(f, '2026-12-14', [['广德市', '零跑动事项占比', '80']]);
    await new EvaluationService({ db: f.db.db, config: f.config, logger: silentLogger }).evaluateDay('2026-12-14', { trigger: 'test' });
    await new ProblemService({ db: f.db.db, config: f.config, logger: silentLogger }).absorb('2026-12-14');
    const late = new LetterService({ db: f.db.db, config: app.config, logger: silentLogger, now: () => wednesday });
    expect(await late.issueWeek('2026-W51')).toMatchObject({ letterDay: '2026-12-16', assigned: 1 });
    const guangde = await problemIdOf(f.db.db, 'guangde', 'zero_visit_ratio');
    // Five working days from Wednesday 12/16, not from Monday 12/14, the day the letter was due.
    expect(await problem(guangde)).toMatchObject({ state: 'assigned', assigned_on: '2026-12-16', deadline: '2026-12-23' });
  });
});
