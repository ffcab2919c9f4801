import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { Daemon } from '../../src/daemon';
import { runDemo } from '../../src/demo/demo-scenario';
import { PROJECT_ROOT } from '../../src/project-root';
import { silentLogger } from '../helpers/ingest-fixture';
import { tempDir } from '../helpers/temp-dir';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';

/**
 * The console in a real browser (Debian's Chromium, driven by playwright-core) against a real daemon on PostgreSQL and
 * Redis with two weeks of demo data: a lead opens the reply link of a real .eml the relay delivered and answers with an
 * evidence file; a checker signs off; the director's cockpit shows its 11 tiles and a chart with data; an auditor
 * filters the ledger by unit and downloads the 台账; a lead cannot reach another unit. Nothing leaves 127.0.0.1.
 * Screenshots of each page go to test-output/screenshots/.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = randomBytes(32).toString('base64url');
const SHOTS = path.join(PROJECT_ROOT, 'test-output', 'screenshots');
const prefix = `duban-test-console-${randomBytes(3).toString('hex')}`;
const out = tempDir('duban-console-');
const profile = tempDir('duban-chromium-');

let db: TestDatabase;
let daemon: Daemon;
let context: BrowserContext;
let base: string;
let mailDir: string;
const requests: string[] = [];
const tokens = {} as Record<'checker' | 'director' | 'auditor' | 'operator', string>;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  db = await createTestDatabase('console');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const outcome = await runDemo({
    databaseUrl: db.url,
    migrationDatabaseUrl: db.ownerUrl,
    redisUrl: REDIS_URL,
    queuePrefix: prefix,
    outDir: out.path,
    weeks: 2,
    logger: silentLogger,
    console: { port, publicBaseUrl: `${base}/`, linkSecret: SECRET },
  });
  mailDir = outcome.files.mail;
  // The daemon as it runs after the demo's fortnight, serving the console on the port the letters link to.
  daemon = await Daemon.start({
    configPath: outcome.files.config,
    env: { DATABASE_URL: db.url, REDIS_URL, DUBAN_QUEUE_PREFIX: `${prefix}-serve`, DUBAN_LINK_SECRET: SECRET, DUBAN_CHECKPOINT_KEY_FILE: path.join(out.path, 'keys', 'ledger-checkpoint.key.pem') },
    logger: silentLogger,
    now: () => new Date('2026-11-02T18:00:00+08:00'),
    cron: false,
    ops: { port: 0 },
    api: { port },
  });
  const made = async (role: 'checker' | 'director' | 'auditor' | 'operator', person: string) => (await daemon.app.services.access.create({ person, role, units: [], expiresInDays: 30, by: 'test' })).token;
  tokens.checker = await made('checker', '李核验');
  tokens.director = await made('director', '钱局长');
  tokens.auditor = await made('auditor', '孙审计');
  tokens.operator = await made('operator', '王操作');
  context = await chromium.launchPersistentContext(profile.path, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1366, height: 768 },
    acceptDownloads: true,
  });
  context.on('request', (r) => requests.push(r.url()));
}, 240_000);

afterAll(async () => {
  await context?.close();
  await daemon?.stop();
  const r = new Redis(REDIS_URL);
  const keys = [...(await r.keys(`${prefix}:*`)), ...(await r.keys(`${prefix}-serve:*`))];
  if (keys.length) await r.del(...keys);
  r.disconnect();
  out.remove();
  profile.remove();
  await db.drop();
});

/** The reply link of the newest 交办函 to `unit` the mail server received, from the .eml as a mail client reads it. */
async function linkFromLetter(unit: string): Promise<string> {
  for (const f of readdirSync(mailDir).filter((x) => x.startsWith('letter-') && x.endsWith('.eml')).sort().reverse()) {
    const mail = await simpleParser(readFileSync(path.join(mailDir, f)));
    if (!mail.subject?.includes(unit)) continue;
    const link = /http:\/\/127\.0\.0\.1:\d+\/reply\?t=[\w.%-]+/.exec(mail.text ?? '')?.[0];
    // The HTML part carries the same link (mustache escapes / and = there; a mail client reads them back).
    if (link) expect(String(mail.html).replace(/&#x2F;/g, '/').replace(/&#x3D;/g, '=')).toContain(link);
    if (link) return link;
  }
  throw new Error(`没有 ${unit} 的交办函`);
}

async function signIn(page: Page, token: string, home: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('令牌').fill(token);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(`${base}${home}`);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function lastEvent(problemId: number) {
  return db.db.selectFrom('ledger_events').select(['type', 'actor', 'payload']).where('problem_id', '=', problemId).orderBy('seq', 'desc').executeTakeFirstOrThrow();
}

let answered: number;

describe('the console, in Chromium', () => {
  it('a lead opens the link of a real letter, answers with an evidence file, and the ledger names the lead', async () => {
    const page = await context.newPage();
    await page.goto(await linkFromLetter('郎溪县'));
    await page.waitForURL(`${base}/lead`);
    await page.locator('form.reply').first().waitFor();
    expect(await page.locator('#who').innerText()).toBe('郎溪县（交办函回复链接）（责任单位负责人）');
    // The token left the address bar for the tab's storage.
    expect(page.url()).toBe(`${base}/lead`);
    const cards = page.locator('section.card');
    expect(await cards.count()).toBeGreaterThan(0);
    expect(await cards.allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining('郎溪县')]));
    for (const text of await cards.allInnerTexts()) expect(text).not.toContain('宁国市');
    const card = page.locator('section.card', { has: page.locator('form.reply') }).first();
    answered = Number((await card.getAttribute('id'))!.replace('problem-', ''));
    await page.locator('#trend-' + answered + ' canvas').first().waitFor();
    await shot(page, 'lead-before-reply');

    const pdf = Buffer.from('%PDF-1.4 郎溪县整改报告');
    await card.getByLabel('整改措施').fill('已对超期件逐件督办，压实窗口责任');
    await card.getByLabel('完成情况').fill('超期件已全部办结');
    await card.getByLabel('佐证材料（PDF、图片、Word、Excel，可多个）').setInputFiles({ name: '整改报告.pdf', mimeType: 'application/pdf', buffer: pdf });
    await card.getByLabel('联系人及电话').fill('赵郎溪 0563-7012345');
    await card.getByRole('button', { name: '提交反馈' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').innerText()).toContain('→ 待核验');
    expect(await page.locator(`#problem-${answered}`).innerText()).toContain('待核验');
    await shot(page, 'lead-after-reply');

    const event = await lastEvent(answered);
    expect(event).toMatchObject({
      type: 'problem_responded',
      actor: '赵郎溪 0563-7012345（郎溪县（交办函回复链接））',
      payload: { measures: '已对超期件逐件督办，压实窗口责任', evidenceFiles: [{ name: '整改报告.pdf', sha256: createHash('sha256').update(pdf).digest('hex') }] },
    });

    // Another unit's problem is not within the link's reach, by page or by API.
    const [other] = (await daemon.app.services.problemActions.list({ unit: 'ningguo' })) as Array<{ id: number }>;
    const status = await page.evaluate(`fetch('/api/v1/problems/${other!.id}', { headers: { authorization: 'Bearer ' + sessionStorage.getItem('duban.token') } }).then((r) => r.status)`);
    expect(status).toBe(404);
    await page.close();
  });

  it('a checker signs the reply off from the queue', async () => {
    const page = await context.newPage();
    await signIn(page, tokens.checker, '/checker');
    const card = page.locator(`#problem-${answered}`);
    // The reply and the data since it, read for the card.
    await page.locator(`#reply-${answered}`, { hasText: '赵郎溪' }).waitFor();
    expect(await page.locator(`#reply-${answered}`).innerText()).toContain('整改报告.pdf');
    await shot(page, 'checker-queue');
    await card.getByLabel('核验意见').fill('电话回访属实');
    await card.getByRole('button', { name: '核验签字' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').innerText()).toContain(`问题 ${answered}`);
    expect(await lastEvent(answered)).toMatchObject({ type: 'problem_verified', actor: '李核验', payload: { by: '李核验', note: '电话回访属实' } });
    await page.close();
  });

  it('the director’s cockpit shows all 11 indicator tiles and charts drawn from data', async () => {
    const page = await context.newPage();
    await signIn(page, tokens.director, '/cockpit');
    await page.locator('.indicator-tile').first().waitFor();
    expect(await page.locator('.indicator-tile').count()).toBe(11);
    expect(await page.locator('.indicator-tile').first().innerText()).toMatch(/全程网办率[\s\S]*预警值 99%/);
    await page.locator('#trend canvas').waitFor();
    // Painted, not blank: some pixel of the trend chart is not the background.
    const painted = await page.evaluate(`(() => {
      const canvas = document.querySelector('#trend canvas');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && (data[i] < 200 || data[i + 1] < 200)) n++;
      return n;
    })()`);
    expect(painted).toBeGreaterThan(100);
    await shot(page, 'cockpit');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'cockpit-phone');
    await page.close();
  });

  it('an auditor filters the ledger by unit and downloads the 台账 of that unit', async () => {
    const page = await context.newPage();
    await signIn(page, tokens.auditor, '/ledger');
    await page.locator('#events tbody tr').first().waitFor();
    await page.getByLabel('单位').selectOption({ label: '郎溪县' });
    await page.getByRole('button', { name: '查询' }).click();
    await page.waitForFunction(`document.querySelectorAll('#events tbody tr').length > 0 && document.querySelector('#count') !== null`);
    const rows = await page.locator('#events tbody tr').allInnerTexts();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.join('\n')).toContain('郎溪县');
    expect(rows.join('\n')).not.toContain('宁国市');
    await page.getByRole('button', { name: '核验台账' }).click();
    await page.locator('#audit').waitFor();
    expect(await page.locator('#audit').innerText()).toContain('结论：台账可信。');
    await shot(page, 'ledger');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载台账 CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.startsWith('\uFEFF序号,台账编号,问题来源')).toBe(true);
    const lines = csv.trim().split('\r\n').slice(1);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toContain('郎溪县');
    await page.close();
  });

  it('an operator sees the versions in force, backtests the rules file before applying it, and reads a day’s ingest runs', async () => {
    const page = await context.newPage();
    await signIn(page, tokens.operator, '/operator');
    await page.getByRole('heading', { name: '现行阈值' }).waitFor();
    expect(await page.locator('main').innerText()).toMatch(/below_alert（低于预警值）\s+1/);
    await page.getByLabel('从').fill('2026-10-26');
    await page.getByLabel('到').fill('2026-10-30');
    await page.getByRole('button', { name: '回测（不写入数据）' }).click();
    await page.locator('#backtest table').first().waitFor();
    expect(await page.locator('#backtest').innerText()).toContain('below_alert');
    await page.getByLabel('日期').fill('2026-10-27');
    await page.getByRole('button', { name: '查看' }).click();
    await page.locator('#runs table').waitFor();
    expect(await page.locator('#runs').innerText()).toMatch(/demo\s+成功/);
    await shot(page, 'operator');
    await page.close();
  });

  it('loaded nothing from anywhere but duban itself', () => {
    expect(requests.length).toBeGreaterThan(20);
    expect(requests.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
  });
});
