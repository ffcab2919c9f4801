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

describe('same-day alerts of major anomalies', () => {
  it('sends one alert per unit and day with its major anomalies, to its contacts, the operator in copy', async () => {
    const config = { ...f.config, delivery: { ...f.config.delivery, operatorEmail: 'operator@xuancheng.example.gov.cn' } };
    await new RulesService(f.db.db).apply(f.config.rules, { by: 'test', reason: '初始规则', effectiveFrom: '2026-09-01' });
    await ingestRows(f, '2026-09-28', [
      ['宁国市', '按时办结率', '99.5'], // an overdue case: major
      ['郎溪县', '全程网办率', '98'], // under the alert value: a warning only
    ]);
    await new EvaluationService({ db: f.db.db, config, logger: silentLogger }).evaluateDay('2026-09-28', { trigger: 'test' });
    await new ProblemService({ db: f.db.db, config, logger: silentLogger }).absorb('2026-09-28');
    const alerts = new AlertService({ db: f.db.db, config, logger: silentLogger });
    expect(await alerts.writeForDay('2026-09-28')).toEqual({ alerts: 1 });
    expect(await alerts.writeForDay('2026-09-28')).toEqual({ alerts: 0 });

    expect(await new OutboxRelay({ db: f.db.db, transport, config, logger: silentLogger }).processAll()).toMatchObject({ delivered: 1 });
    expect(sink.received).toHaveLength(1);
    const mail = sink.received[0]!;
    expect(mail.messageId).toBe('<alert-2026-09-28-ningguo@duban>');
    expect(mail.subject).toBe('【重大异常】宁国市 2026-09-28 监测发现 1 项重大异常，请即核查');
    expect(mail.to).toMatchObject({ value: [{ address: 'ningguo@xuancheng.example.gov.cn' }] });
    expect(mail.cc).toMatchObject({ value: [{ address: 'operator@xuancheng.example.gov.cn' }] });
    // Two rules (under the 预警值; an overdue case), one fact: one line.
    expect(mail.text).toMatch(/1\. 宁国市 按时办结率 99.5%，低于预警值 100%（问题编号 \d+）\n/);
    expect(mail.text).toContain('请第一时间核查原因、落实整改');
    expect(mail.html).toContain('<table');
    expect(mail.html).toContain('宁国市 按时办结率 99.5%，低于预警值 100%');
    expect(mail.html).not.toMatch(/<script|<img/);
  });
});
