import { createMailTransport, MailTransport } from '../../src/delivery/mail-transport';
import { OutboxRelay } from '../../src/services/outbox-relay.service';
import { AlertService } from '../../src/services/alert.service';
import { EvaluationService } from '../../src/services/evaluation.service';
import { ProblemService } from '../../src/services/problem.service';
import { RulesService } from '../../src/services/rules.service';
import { ingestFixture, IngestFixture, ingestRows, silentLogger } from '../helpers/ingest-fixture';
import { startSmtpSink, SmtpSink } from '../helpers/smtp-sink';

let f: IngestFixture;
let sink: SmtpSink;
let transport: MailTransport;

beforeAll(async () => {
  f = await ingestFixture('alerts');
  sink = await startSmtpSink();
  transport = createMailTransport(sink.url);
});
afterAll(async () => {
  transport.close();
  await sink.close();
  await f.close();
});

describe('same-day 督办通知 of major anomalies', () => {
  // Written the morning after the monitoring day (a Tuesday): the 核查时限 counts one working day from then.
  const morningAfter = () => new Date('2026-09-29T01:00:00Z');

  it('sends one numbered notice per unit and day with its major anomalies, a 核查时限 and its date, to its contacts, the operator in copy', async () => {
    const units = f.config.units.map((u) => (u.code === 'ningguo' ? { ...u, copyTo: [{ name: '宁国市人民政府办公室', email: 'zfb@ningguo.example.gov.cn' }] } : u));
    const config = { ...f.config, units, delivery: { ...f.config.delivery, operatorEmail: 'operator@xuancheng.example.gov.cn' } };
    await new RulesService(f.db.db).apply(f.config.rules, { by: 'test', reason: '初始规则', effectiveFrom: '2026-09-01' });
    await ingestRows(f, '2026-09-28', [
      ['宁国市', '按时办结率', '99.5'], // an overdue case: major
      ['郎溪县', '全程网办率', '98'], // under the alert value: a warning only
      ['宣城市', '按时办结率', '99'], // the city as a whole: major, but no unit of its own answers for it
    ]);
    await new EvaluationService({ db: f.db.db, config, logger: silentLogger }).evaluateDay('2026-09-28', { trigger: 'test' });
    await new ProblemService({ db: f.db.db, config, logger: silentLogger }).absorb('2026-09-28');
    const alerts = new AlertService({ db: f.db.db, config, logger: silentLogger, now: morningAfter });
    expect(await alerts.writeForDay('2026-09-28')).toEqual({ alerts: 2 });
    expect(await alerts.writeForDay('2026-09-28')).toEqual({ alerts: 0 });

    expect(await new OutboxRelay({ db: f.db.db, transport, config, logger: silentLogger }).processAll()).toMatchObject({ delivered: 2 });
    const mail = sink.received.find((m) => m.messageId === '<alert-2026-09-28-ningguo@duban>')!;
    expect(mail.subject).toBe('【督办通知】宣数督通〔2026〕0928-01号 宁国市2026年9月28日监测发现1项重大异常，请于2026年9月30日前核查反馈');
    expect(mail.to).toMatchObject({ value: [{ address: 'ningguo@xuancheng.example.gov.cn' }] });
    // The operator and the organ copied in units.yaml that has an address.
    expect(mail.cc).toMatchObject({ value: [{ address: 'operator@xuancheng.example.gov.cn' }, { address: 'zfb@ningguo.example.gov.cn' }] });
    // Two rules (under the 预警值; an overdue case), one fact: one line.
    expect(mail.text).toMatch(/1\. 按时办结率：宁国市 按时办结率 99.5%，低于预警值 100%（问题编号\d+）\n/);
    for (const part of ['宁国市数据资源局：', '2026年9月28日的监测数据显示', '于2026年9月30日前（1个工作日内）', '抄送：宁国市人民政府办公室。', '2026年9月29日印发']) {
      expect(mail.text).toContain(part);
      expect(String(mail.html).replace(/<[^>]+>/g, '')).toContain(part);
    }
    expect(mail.text).not.toMatch(/阈值|\d{4}-\d{2}-\d{2}/);
    expect(mail.html).not.toMatch(/<script|<img/);

    // The city's notice is numbered after it and goes to the operator alone: the bureau does not write to itself.
    const city = sink.received.find((m) => m.messageId === '<alert-2026-09-28-xuancheng@duban>')!;
    expect(city.subject).toContain('宣数督通〔2026〕0928-02号 宣城市');
    expect(city.to).toMatchObject({ value: [{ address: 'operator@xuancheng.example.gov.cn' }] });
    expect(city.cc).toBeUndefined();
  });
});
