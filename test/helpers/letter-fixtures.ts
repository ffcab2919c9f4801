import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import type { MessageTemplate } from '../../src/config/message-templates';
import { renderMessage } from '../../src/delivery/render-message';
import type { LetterInput, LetterProblem } from '../../src/domain/letter-content';
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
  addressing: { addressee: '宁国市数据资源局', copyTo: ['宁国市人民政府办公室'] },
  bureau: { name: '宣城市数据资源局', seal: '宣城市数据资源局', office: '督查科', contact: { name: '督查科 王督办', phone: '0563-2021234', email: 'duban@xuancheng.example.gov.cn' } },
  decisionClause: '',
  reply: { url: 'https://duban.xuancheng.example.gov.cn/reply?t=abc.def', until: '2026-12-23' },
  calendar,
  deadlines: config.problems.deadlines,
  problems: [
    { ...base, id: 101, indicator: '按时办结率', situation: '宁国市 按时办结率 99.5%，低于预警值 100%', state: 'assigned', assignedOn: '2026-11-09', letterNo: '宣数督〔2026〕46-03号', deadline: '2026-11-16', escalation: 'supervise' },
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

/** The text a reader sees: mustache writes / and = in values as character references. */
export function readable(html: string): string {
  return html.replace(/&#x([0-9a-f]+);/gi, (_, x: string) => String.fromCodePoint(parseInt(x, 16))).replaceAll('&amp;', '&');
}


/**
 * Renders as the committed fixture test/fixtures/letters/NAME.{html,txt}; UPDATE_FIXTURES=1 rewrites it after a
 * deliberate change (then read the diff). Returns the message for further checks.
 */
export function expectFixture(template: MessageTemplate, view: object, name: string) {
  const message = renderMessage(template, view);
  const fixture = (ext: string) => path.join(__dirname, '..', 'fixtures', 'letters', `${name}.${ext}`);
  const text = `Subject: ${message.subject}\n\n${message.text}`;
  if (process.env.UPDATE_FIXTURES === '1') {
    mkdirSync(path.dirname(fixture('html')), { recursive: true });
    writeFileSync(fixture('html'), message.html);
    writeFileSync(fixture('txt'), text);
  }
  expect(message.html).toBe(readFileSync(fixture('html'), 'utf8'));
  expect(text).toBe(readFileSync(fixture('txt'), 'utf8'));
  return message;
}
