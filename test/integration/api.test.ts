import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import SwaggerParser from '@apidevtools/swagger-parser';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import type { OpenAPI } from 'openapi-types';
import { Registry } from 'prom-client';
import { API_PREFIX, buildApi } from '../../src/api/api-server';
import { AppContext } from '../../src/app-context';
import type { ApiRole } from '../../src/domain/access-policy';
import { signReplyLink } from '../../src/domain/reply-link';
import { AccessService } from '../../src/services/access.service';
import { silentLogger } from '../helpers/ingest-fixture';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { tempDir } from '../helpers/temp-dir';

/**
 * The API as each of its users reaches it, against a real PostgreSQL: who may do what (a matrix of every role against
 * every family of endpoint), what a lead of one unit cannot see of another, tokens and reply links that must not let
 * anyone in, a reply with evidence through the same state machine as the CLI, and the OpenAPI document.
 */
const SECRET = 'test-link-secret-0123456789-abcdefghijklmnop';
const NOW = new Date('2026-11-27T04:00:00Z'); // Friday noon in Shanghai
const DAY = '2026-11-26';

let db: TestDatabase;
let app: AppContext;
let http: FastifyInstance;
let registry: Registry;
const config = writeTestConfig({ sources: [], api: { port: 0, publicBaseUrl: 'https://duban.xuancheng.example.gov.cn/' } });
const dir = tempDir('duban-api-');
const tokens = {} as Record<'operator' | 'checker' | 'leadNingguo' | 'leadLangxi' | 'director' | 'auditor', string>;
const problem = {} as Record<'ningguo' | 'langxi', number>;

beforeAll(async () => {
  db = await createTestDatabase('api');
  app = await AppContext.open({ configPath: config.file, env: { DATABASE_URL: db.url, DUBAN_LINK_SECRET: SECRET }, prepare: true, logger: silentLogger, now: () => NOW });
  await app.adoptInitialRules();
  // 宁国市 and 郎溪县 under several 预警值 on the day: problems of each unit to act on.
  const file = dir.file('day.csv');
  writeFileSync(
    file,
    ['单位,指标,日期,数值', ...['宁国市', '郎溪县'].flatMap((u) => [`${u},全程网办率,${DAY},97`, `${u},好评率,${DAY},95`, `${u},即办件占比,${DAY},60`])].join('\n'),
  );
  await app.inlineRunner().run('ingest', { day: DAY, trigger: 'test', file });
  const made = async (role: ApiRole, person: string, units: string[] = []) => (await app.services.access.create({ person, role, units, expiresInDays: 90, by: 'test' })).token;
  tokens.operator = await made('operator', '王操作');
  tokens.checker = await made('checker', '李核验');
  tokens.leadNingguo = await made('lead', '张宁国', ['ningguo']);
  tokens.leadLangxi = await made('lead', '赵郎溪', ['langxi']);
  tokens.director = await made('director', '钱局长');
  tokens.auditor = await made('auditor', '孙审计');
  registry = new Registry();
  http = await buildApi({ services: app.services, config: app.config, logger: silentLogger, now: () => NOW, registry });
  await http.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
  const list = (await call('GET', '/problems?indicator=全程网办率', tokens.operator)).json().problems as Array<{ id: number; unit_code: string }>;
  problem.ningguo = list.find((p) => p.unit_code === 'ningguo')!.id;
  problem.langxi = list.find((p) => p.unit_code === 'langxi')!.id;
});
afterAll(async () => {
  await http?.close();
  await app?.close();
  await db.drop();
  config.remove();
  dir.remove();
});

let base: string;

/** A request over real HTTP to the listening API; the answer read whole. */
async function request(server: string, method: 'GET' | 'POST', url: string, token?: string, body?: object) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (body) headers['content-type'] = 'application/json';
  const r = await fetch(`${server}${API_PREFIX}${url}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  const raw = Buffer.from(await r.arrayBuffer());
  return { statusCode: r.status, headers: Object.fromEntries(r.headers), rawPayload: raw, body: raw.toString('utf8'), json: () => JSON.parse(raw.toString('utf8')) };
}

function call(method: 'GET' | 'POST', url: string, token?: string, body?: object) {
  return request(base, method, url, token, body);
}

async function lastEvent(problemId: number) {
  return db.db.selectFrom('ledger_events').select(['type', 'actor', 'payload']).where('problem_id', '=', problemId).orderBy('seq', 'desc').executeTakeFirstOrThrow();
}

type Who = keyof typeof tokens;
const ALL: Who[] = ['operator', 'checker', 'leadNingguo', 'leadLangxi', 'director', 'auditor'];
/** What a request family answers each role: `ok` (authorised; the state machine may still refuse, 409), 403, or 404. */
type Expect = 'ok' | 403 | 404;
const only = (allowed: Who[], otherwise: Expect = 403, exceptions: Partial<Record<Who, Expect>> = {}) =>
  Object.fromEntries(ALL.map((w) => [w, exceptions[w] ?? (allowed.includes(w) ? 'ok' : otherwise)])) as Record<Who, Expect>;

const FAMILIES: Array<[name: string, method: 'GET' | 'POST', url: () => string, body: object | undefined, expect: Record<Who, Expect>]> = [
  ['list problems', 'GET', () => '/problems', undefined, only(ALL)],
  ['a 宁国市 problem', 'GET', () => `/problems/${problem.ningguo}`, undefined, only(ALL, 403, { leadLangxi: 404 })],
  ['a 郎溪县 problem', 'GET', () => `/problems/${problem.langxi}`, undefined, only(ALL, 403, { leadNingguo: 404 })],
  ['assign', 'POST', () => `/problems/${problem.ningguo}/assign`, {}, only(['operator'])],
  ['respond', 'POST', () => `/problems/${problem.ningguo}/respond`, { measures: '已增派窗口人员' }, only(['operator', 'leadNingguo'], 403, { leadLangxi: 404 })],
  ['verify', 'POST', () => `/problems/${problem.ningguo}/verify`, {}, only(['operator', 'checker'])],
  ['close', 'POST', () => `/problems/${problem.ningguo}/close`, {}, only(['operator', 'checker'])],
  ['send back', 'POST', () => `/problems/${problem.ningguo}/send-back`, { reason: '佐证不足' }, only(['operator', 'checker'])],
  ['dismiss', 'POST', () => `/problems/${problem.langxi}/dismiss`, { reason: '数据源口径错误' }, only(['operator'])],
  ['reopen', 'POST', () => `/problems/${problem.langxi}/reopen`, { reason: '口径已更正' }, only(['operator'])],
  ['letters and alerts', 'GET', () => '/messages', undefined, only(ALL)],
  ['indicators', 'GET', () => '/indicators', undefined, only(ALL)],
  ['a 郎溪县 series', 'GET', () => '/units/langxi/series', undefined, only(ALL, 403, { leadNingguo: 404 })],
  ['rules', 'GET', () => '/rules', undefined, only(['operator', 'checker', 'director', 'auditor'])],
  ['thresholds', 'GET', () => '/thresholds', undefined, only(['operator', 'checker', 'director', 'auditor'])],
  ['apply thresholds', 'POST', () => '/thresholds/apply', { reason: '核对' }, only(['operator'])],
  ['backtest the rules file', 'GET', () => `/rules/backtest?from=${DAY}&to=${DAY}`, undefined, only(['operator'])],
  ['cockpit', 'GET', () => '/cockpit?week=2026-W48', undefined, only(['operator', 'director', 'auditor'])],
  ['ingest runs', 'GET', () => `/ingest/runs?day=${DAY}`, undefined, only(['operator'])],
  ['ledger events', 'GET', () => '/ledger/events', undefined, only(['operator', 'director', 'auditor'])],
  ['台账 export', 'GET', () => '/ledger/export?format=csv', undefined, only(['operator', 'director', 'auditor'])],
  ['audit verify', 'GET', () => '/audit/verify', undefined, only(['operator', 'director', 'auditor'])],
];

const CASES = FAMILIES.flatMap(([name, method, url, body, expect]) => ALL.map((who) => [name, who, method, url, body, expect[who]] as const));

describe('the API', () => {
  it(`has an authorization matrix of ${CASES.length} cases`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('%s as %s', async (_name, who, method, url, body, expected) => {
    const before = await db.db.selectFrom('ledger_events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirstOrThrow();
    const r = await call(method, url(), tokens[who], body);
    if (expected === 'ok') {
      expect([200, 409]).toContain(r.statusCode);
      if (r.statusCode === 409) expect(r.json().code).toBe('transition_refused');
    } else {
      expect({ status: r.statusCode, code: r.json().code }).toEqual({ status: expected, code: expected === 403 ? 'forbidden' : 'not_found' });
      expect(r.json().message).toMatch(/[\u4e00-\u9fa5]/);
    }
    // A write names its person in the ledger; a refused one writes nothing.
    const after = await db.db.selectFrom('ledger_events').select(['seq', 'actor']).where('seq', '>', Number(before.seq ?? 0)).execute();
    if (method === 'POST' && r.statusCode === 200 && url().startsWith('/problems')) {
      expect(after.map((e) => e.actor)).toContain({ operator: '王操作', checker: '李核验', leadNingguo: '张宁国', leadLangxi: '赵郎溪', director: '钱局长', auditor: '孙审计' }[who]);
    }
    if (expected !== 'ok') expect(after).toEqual([]);
  });

  it('lets in nobody without a valid token: none, unknown, revoked, expired', async () => {
    expect((await call('GET', '/problems')).statusCode).toBe(401);
    expect((await call('GET', '/problems', 'dbn_not-a-token')).json()).toEqual({ code: 'unauthenticated', message: '令牌无效、已过期或已撤销' });
    const revoked = await app.services.access.create({ person: '周离职', role: 'operator', units: [], expiresInDays: 90, by: 'test' });
    expect((await call('GET', '/problems', revoked.token)).statusCode).toBe(200);
    await app.services.access.revoke(revoked.row.id, 'test');
    expect((await call('GET', '/problems', revoked.token)).statusCode).toBe(401);
    const shortLived = await app.services.access.create({ person: '吴临时', role: 'auditor', units: [], expiresInDays: 1 / 24, by: 'test' });
    const twoHoursOn = () => new Date(NOW.getTime() + 2 * 3600_000);
    const access = new AccessService({ db: db.db, config: app.config, linkSecret: SECRET, now: twoHoursOn });
    const later = await buildApi({ services: { ...app.services, access }, config: app.config, logger: silentLogger, now: twoHoursOn, registry: new Registry() });
    try {
      // Expiry is judged by the service's clock: valid now, not two hours on.
      expect((await call('GET', '/ledger/events', shortLived.token)).statusCode).toBe(200);
      await later.listen({ host: '127.0.0.1', port: 0 });
      const r = await request(`http://127.0.0.1:${(later.server.address() as AddressInfo).port}`, 'GET', '/ledger/events', shortLived.token);
      expect(r.statusCode).toBe(401);
    } finally {
      await later.close();
    }
    // Only the hash is stored.
    const stored = await db.db.selectFrom('api_tokens').select('token_hash').where('id', '=', shortLived.row.id).executeTakeFirstOrThrow();
    expect(stored.token_hash).toBe(createHash('sha256').update(shortLived.token).digest('hex'));
    expect(JSON.stringify(await db.db.selectFrom('api_tokens').selectAll().execute())).not.toContain(shortLived.token);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/duban_api_denied_total\{kind="unauthenticated",reason="unknown_token"\} [1-9]/);
    expect(metrics).toMatch(/duban_api_denied_total\{kind="forbidden",reason="auditor"\} [1-9]/);
  });

  it('takes a letter’s reply link as the lead of that unit and period, and refuses an expired, tampered or revoked one', async () => {
    const exp = Math.floor(NOW.getTime() / 1000) + 86_400;
    const link = signReplyLink({ unit: 'ningguo', period: '2026-W48', exp }, SECRET);
    const me = (await call('GET', '/me', link)).json();
    expect(me).toEqual({ person: '宁国市（交办函回复链接）', role: 'lead', units: ['ningguo'], via: 'link', period: '2026-W48' });
    const seen = (await call('GET', '/problems', link)).json().problems as Array<{ unit_code: string; owner_code: string }>;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((p) => p.unit_code === 'ningguo' || p.owner_code === 'ningguo')).toBe(true);
    expect((await call('GET', `/problems/${problem.langxi}`, link)).statusCode).toBe(404);
    expect((await call('GET', '/ledger/events', link)).statusCode).toBe(403);

    const expired = signReplyLink({ unit: 'ningguo', period: '2026-W48', exp: Math.floor(NOW.getTime() / 1000) - 1 }, SECRET);
    const [body, sig] = link.split('.');
    const otherUnit = Buffer.from(JSON.stringify({ u: 'langxi', p: '2026-W48', e: exp })).toString('base64url');
    for (const bad of [expired, `${otherUnit}.${sig}`, `${body}.${sig!.slice(0, -2)}AA`, signReplyLink({ unit: 'ningguo', period: '2026-W48', exp }, 'another-secret-of-enough-length-0123456789'), 'garbage']) {
      const r = await call('GET', '/problems', bad);
      expect({ status: r.statusCode, body: r.json() }).toEqual({ status: 401, body: { code: 'unauthenticated', message: '回复链接无效、已过期或已撤销，请与督查科联系' } });
    }
    // The week's letter carries its unit's link, in its HTML and its text alike, and the link is that unit's and week's.
    const letter = await app.services.letters.preview('2026-W48', 'ningguo');
    const url = /https:\/\/duban\.xuancheng\.example\.gov\.cn\/reply\?t=([^\s<"]+)/.exec(letter.message.text)?.[1];
    expect(url).toBeDefined();
    // Mustache escapes the link in HTML (= as &#x3D;); a mail client reads it back.
    expect(letter.message.html.replace(/&#x3D;/g, '=').replace(/&#x2F;/g, '/')).toContain(`href="https://duban.xuancheng.example.gov.cn/reply?t=${url}"`);
    expect(letter.message.text).toContain('2026年12月27日前有效');
    expect((await call('GET', '/me', decodeURIComponent(url!))).json()).toMatchObject({ units: ['ningguo'], period: '2026-W48', role: 'lead' });

    await app.services.access.revokeLinks('2026-W48', 'ningguo', '王操作', '交办函误发');
    expect((await call('GET', '/problems', link)).statusCode).toBe(401);
    // Another unit's link of the same week still works.
    expect((await call('GET', '/problems', signReplyLink({ unit: 'langxi', period: '2026-W48', exp }, SECRET))).statusCode).toBe(200);
  });

  it('takes a lead’s reply with an evidence file through the same state machine, keeps the file and its SHA-256 in the ledger, and the audit still holds', async () => {
    const [p] = (await call('GET', '/problems?unit=宁国市&indicator=好评率', tokens.operator)).json().problems as Array<{ id: number; state: string }>;
    const respond = (token: string) =>
      call('POST', `/problems/${p!.id}/respond`, token, {
        measures: '已逐件回访差评群众并整改',
        contact: '张宁国 0563-4012345',
        evidence: [{ fileName: '整改报告.pdf', contentType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.4 整改报告').toString('base64') }],
      });
    // Not yet assigned: the state machine refuses, and keeps no file.
    expect(p!.state).toBe('open');
    const refused = await respond(tokens.leadNingguo);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toMatch(/[\u4e00-\u9fa5]/);
    expect(await db.db.selectFrom('evidence_files').select('id').where('problem_id', '=', p!.id).execute()).toEqual([]);

    expect((await call('POST', `/problems/${p!.id}/assign`, tokens.operator, {})).json()).toMatchObject({ from: 'open', to: 'assigned' });
    const wrongType = await call('POST', `/problems/${p!.id}/respond`, tokens.leadNingguo, {
      measures: '见附件',
      evidence: [{ fileName: 'x.exe', contentType: 'application/x-msdownload', contentBase64: 'TVo=' }],
    });
    expect({ status: wrongType.statusCode, code: wrongType.json().code }).toEqual({ status: 415, code: 'unsupported_type' });

    const done = await respond(tokens.leadNingguo);
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ from: 'assigned', to: 'pending_verification', message: expect.stringContaining('整改中 → 待核验') });
    const sha = createHash('sha256').update(Buffer.from('%PDF-1.4 整改报告')).digest('hex');
    const event = await lastEvent(p!.id);
    expect(event).toMatchObject({ type: 'problem_responded', actor: '张宁国', payload: { measures: '已逐件回访差评群众并整改', note: '联系人：张宁国 0563-4012345', evidenceFiles: [{ name: '整改报告.pdf', sha256: sha }] } });

    const shown = (await call('GET', `/problems/${p!.id}`, tokens.checker)).json();
    expect(shown.problem).toMatchObject({ state: 'pending_verification', state_label: '待核验' });
    expect(shown.timeline.at(-1)).toMatchObject({ type_label: '反馈整改', actor: '张宁国', description: expect.stringContaining(`整改报告.pdf（SHA-256 ${sha.slice(0, 12)}…）`) });
    const file = await call('GET', `/problems/${p!.id}/evidence/${shown.evidence[0].id}`, tokens.checker);
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(Buffer.from('%PDF-1.4 整改报告'))).toBe(true);
    expect(file.headers['x-content-sha256']).toBe(sha);
    expect((await call('GET', `/problems/${p!.id}/evidence/${shown.evidence[0].id}`, tokens.leadLangxi)).statusCode).toBe(404);

    const verified = await call('POST', `/problems/${p!.id}/verify`, tokens.checker, { note: '现场核查属实' });
    expect(verified.statusCode).toBe(200);
    expect(await lastEvent(p!.id)).toMatchObject({ type: 'problem_verified', actor: '李核验', payload: { by: '李核验' } });

    // Found wanting: sent back (a lead may not), signed off no more, answered again.
    expect((await call('POST', `/problems/${p!.id}/send-back`, tokens.leadNingguo, { reason: '自己退回' })).statusCode).toBe(403);
    const back = await call('POST', `/problems/${p!.id}/send-back`, tokens.checker, { reason: '回访记录不全，请补充' });
    expect(back.json()).toMatchObject({ from: 'pending_verification', to: 'assigned', message: expect.stringContaining('待核验 → 整改中') });
    expect(await lastEvent(p!.id)).toMatchObject({ type: 'problem_sent_back', actor: '李核验', payload: { reason: '回访记录不全，请补充' } });
    expect((await call('GET', `/problems/${p!.id}`, tokens.leadNingguo)).json().problem).toMatchObject({ state: 'assigned', signed_off_by: null });
    expect((await call('POST', `/problems/${p!.id}/respond`, tokens.leadNingguo, { measures: '已补充全部回访记录' })).json()).toMatchObject({ to: 'pending_verification' });

    const audit = (await call('GET', '/audit/verify', tokens.auditor)).json();
    expect(audit.holds).toBe(true);
    expect(audit.lines.at(-1)).toBe('结论：台账可信。');
  });

  it('pages the ledger with a cursor and filters it by business day, unit and type', async () => {
    const all: number[] = [];
    let cursor: number | null = 0;
    while (cursor !== null) {
      const page: { events: Array<{ seq: number }>; next_cursor: number | null } = (await call('GET', `/ledger/events?limit=7&cursor=${cursor}`, tokens.auditor)).json();
      all.push(...page.events.map((e) => e.seq));
      cursor = page.next_cursor;
    }
    const count = await db.db.selectFrom('ledger_events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(all).toEqual([...all].sort((a, b) => a - b));
    expect(new Set(all).size).toBe(Number(count.n));
    const opened = (await call('GET', `/ledger/events?type=problem_opened&unit=${encodeURIComponent('郎溪县')}&from=${DAY}&to=${DAY}`, tokens.director)).json();
    expect(opened.events.length).toBe(3);
    expect(opened.events[0]).toMatchObject({ type_label: '发现问题', unit: '郎溪县' });
    const unknown = await call('GET', '/ledger/events?unit=宁国县', tokens.auditor);
    expect(unknown.json()).toEqual({ code: 'unknown_name', message: '没有名为“宁国县”的单位。您是不是要找：宁国市（ningguo）' });
    const notJson = await fetch(`${base}${API_PREFIX}/problems/${problem.ningguo}/respond`, { method: 'POST', headers: { authorization: `Bearer ${tokens.leadNingguo}`, 'content-type': 'application/json' }, body: '{"measures":' });
    expect(await notJson.json()).toEqual({ code: 'invalid_request', message: '请求体不是有效的 JSON' });
    expect((await call('GET', '/nowhere', tokens.auditor)).json()).toEqual({ code: 'not_found', message: '没有这个地址' });
    const bad = await call('GET', '/ledger/events?limit=0&color=red', tokens.auditor);
    expect({ status: bad.statusCode, code: bad.json().code }).toEqual({ status: 400, code: 'invalid_request' });
    expect(bad.json().message).toMatch(/^请求不符合要求：/);
  });

  it('exports the 台账 narrowed by unit, indicator and status, the token’s person in its as-of line; a status or day that is none is refused', async () => {
    type Row = Record<string, string | number | null>;
    const all: Row[] = (await call('GET', '/ledger/export?format=json', tokens.auditor)).json();
    const narrowed: Row[] = (await call('GET', `/ledger/export?format=json&indicator=${encodeURIComponent('好评率')}&state=${encodeURIComponent('待交办')}`, tokens.auditor)).json();
    expect(narrowed.length).toBeGreaterThan(0);
    expect(narrowed).toEqual(all.filter((r) => r['指标'] === '好评率' && r['状态'] === '待交办').map((r, k) => ({ ...r, 序号: k + 1 })));

    const xlsx = await call('GET', '/ledger/export?unit=langxi&state=open', tokens.director);
    expect(xlsx.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.rawPayload as unknown as ExcelJS.Buffer);
    const asOf = book.getWorksheet('问题台账')!.getCell('A2').value;
    expect(asOf).toMatch(/^截至 2026年11月27日 · 共 \d+ 条 · 导出人 钱局长 · 筛选：单位 郎溪县，状态 待交办$/);

    const badState = await call('GET', `/ledger/export?state=${encodeURIComponent('督办中')}`, tokens.auditor);
    expect({ status: badState.statusCode, code: badState.json().code }).toEqual({ status: 400, code: 'unknown_name' });
    const badDay = await call('GET', '/ledger/export?from=2026-02-30', tokens.auditor);
    expect(badDay.json()).toEqual({ code: 'invalid_request', message: '不是有效日期（应为 YYYY-MM-DD）：2026-02-30' });
  });

  it('limits each token’s requests per minute, and says so in Chinese', async () => {
    const strict = await buildApi({ services: app.services, config: { ...app.config, api: { ...app.config.api, rateLimitPerMinute: 3 } }, logger: silentLogger, now: () => NOW, registry: new Registry() });
    try {
      await strict.listen({ host: '127.0.0.1', port: 0 });
      const server = `http://127.0.0.1:${(strict.server.address() as AddressInfo).port}`;
      const statuses = [];
      for (let k = 0; k < 4; k++) statuses.push((await request(server, 'GET', '/indicators', tokens.director)).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await request(server, 'GET', '/indicators', tokens.director);
      expect(limited.json()).toMatchObject({ code: 'rate_limited', message: '请求过于频繁：每分钟至多 3 次，请稍后再试' });
      // Another person's token has its own allowance.
      expect((await request(server, 'GET', '/indicators', tokens.auditor)).statusCode).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('publishes an OpenAPI 3 document that validates and covers every route', async () => {
    const doc = (await call('GET', '/openapi.json')).json() as OpenAPI.Document & { paths: Record<string, unknown> };
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`));
    const served = http.apiRoutes.filter((r) => r.action).map((r) => `${r.method} ${r.url}`);
    expect(served.length).toBeGreaterThan(15);
    for (const p of served) expect(documented).toContain(p);
    const page = await call('GET', '/docs');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<p>责任单位反馈整改措施（问题转为待核验），可附证据文件</p><p>可用角色：操作员、责任单位负责人</p>');
    expect(page.body).not.toMatch(/(src|href)="https?:/i);
  });
});
