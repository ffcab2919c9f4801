import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import { pickMessages, screenshotMessages } from '../../scripts/message-screenshots';
import { runDemo } from '../../src/demo/demo-scenario';
import { PROJECT_ROOT } from '../../src/project-root';
import { auditHolds } from '../../src/services/audit.service';
import { silentLogger } from '../helpers/ingest-fixture';
import { tempDir } from '../helpers/temp-dir';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let db: TestDatabase;
const out = tempDir('duban-demo-');
const prefix = `duban-test-demo-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  db = await createTestDatabase('demo');
});
afterAll(async () => {
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  out.remove();
  await db.drop();
});

describe('the demo, shortened to five weeks', () => {
  it('plays the planted stories through the real jobs: fixed, reopened, escalated to 通报, awaiting its checker', async () => {
    const outcome = await runDemo({ databaseUrl: db.url, redisUrl: REDIS_URL, queuePrefix: prefix, outDir: out.path, weeks: 5, logger: silentLogger });
    const story = (unit: string) => outcome.stories.find((s) => s.story.startsWith(unit))!;
    // Closed on 10/28, breached again on 11/4 within 20 working days: the same problem, reopened, assigned by the
    // 11/9 letter, answered and closed again.
    expect(story('宁国市')).toMatchObject({ state: 'closed', reopenCount: 1 });
    // Assigned on 10/26, due 11/2, never answered: 提醒 on 11/3, 督办 on 11/5, 通报 on 11/10.
    expect(story('郎溪县')).toMatchObject({ state: 'assigned', escalation: 'notify' });
    expect(story('广德市')).toMatchObject({ state: 'closed', reopenCount: 0 });
    // Cross-department: 15 working days from 11/9, answered on 11/17, still with the checker.
    expect(story('市市场监管局')).toMatchObject({ state: 'pending_verification', escalation: 'none' });

    expect(outcome.days).toBe(36);
    expect(outcome.problems.closed).toBeGreaterThan(2);
    expect(outcome.problems.overdue).toBeGreaterThan(0);
    expect(outcome.escalations.notify).toBeGreaterThan(0);
    // Letters every Monday from W44 on, never twice to a unit in a week; a summary each week.
    expect(outcome.messages.letters).toBeGreaterThan(4);
    expect(outcome.doubledLetters).toBe(0);
    expect(outcome.messages.summaries).toBe(6); // W43–W48: W42's, due before the first start, waits for a person (go-live)
    // A checkpoint each evening, in the checkpoint file and mailed to the auditors; the first (of 10/18) caught up at start.
    expect(outcome.messages.checkpoints).toBe(37);
    expect(outcome.messages.archived).toBe(outcome.messages.letters + outcome.messages.alerts + outcome.messages.summaries + outcome.messages.checkpoints);
    // The demo ends as an auditor would: every check held against all the checkpoints, each found in the file and a mail.
    expect(auditHolds(outcome.ledger)).toBe(true);
    expect(outcome.checkpoints.items).toHaveLength(37);
    expect(outcome.checkpoints.sources.filter((s) => s.checkpoints === 1)).toHaveLength(37);
    expect(outcome.ledger.checkpoints?.findings.every((f) => f.finding.kind === 'holds')).toBe(true);
    expect(readFileSync(outcome.files.checkpoints, 'utf8').trim().split('\n')).toHaveLength(37);
    expect(outcome.ledger.values?.runs).toBe(36);
    // The director's summary of W48 lists the week's checkpoints.
    const summary = (await simpleParser(readFileSync(path.join(outcome.files.mail, 'summary-2026-W48-director@duban.eml')))).text ?? '';
    const listed = summary.slice(summary.indexOf('台账检查点（')).split('\n').filter((l) => /台账共 \d+ 条事件/.test(l));
    expect(listed.length).toBeGreaterThanOrEqual(5);
    // Every closing rested on a clean window of data, as known when it was made.
    expect(outcome.closures.total).toBeGreaterThan(2);
    expect(outcome.closures.onCleanWindow).toBe(outcome.closures.total);

    const mail = readdirSync(outcome.files.mail);
    expect(mail).toContain('letter-2026-W44-langxi@duban.eml');
    expect(mail).toContain('letter-2026-W44-langxi@duban.html');
    expect(existsSync(outcome.files.ledger)).toBe(true);
    // Letters go to the units that answer for results: not to the city as a whole, nor to the bureau itself.
    expect(mail.filter((m) => /^letter-.*-(xuancheng|data_bureau)@/.test(m))).toEqual([]);

    // The README's screenshot script on the demo's own mail: a letter, an alert and a summary, drawn by Chromium with
    // the network cut off (it throws if a message asks for anything outside).
    const picked = pickMessages(outcome.files.mail);
    expect(Object.keys(picked).sort()).toEqual(['alert', 'letter', 'summary']);
    expect(picked.letter).toMatch(/letter-2026-W48-ningguo@duban\.html$/);
    const shots = await screenshotMessages(picked, path.join(PROJECT_ROOT, 'test-output', 'screenshots', 'messages'));
    expect(shots.map((s) => [s.kind, s.width])).toEqual([['letter', 760], ['alert', 760], ['summary', 760]]);
    // A whole letter with its attachments is far longer than one screen.
    expect(shots[0]!.height).toBeGreaterThan(1500);

    // The queue was the demo's alone: nothing of it is left in Redis.
    const r = new Redis(REDIS_URL);
    expect(await r.keys(`${prefix}:*`)).toEqual([]);
    r.disconnect();
  }, 240_000);
});
