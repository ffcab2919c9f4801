import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { sql } from 'kysely';
import { Redis } from 'ioredis';
import { startSmtpSink, SmtpSink } from '../helpers/smtp-sink';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { waitFor } from '../helpers/wait-for';

const ROOT = path.join(__dirname, '..', '..');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let db: TestDatabase;
let sink: SmtpSink;
const prefix = `duban-test-three-${randomBytes(3).toString('hex')}`;
const config = writeTestConfig({
  ingest: { schedule: '0 8 * * *', lagDays: 1, lookbackDays: 14, attempts: 2 },
  sources: [{ name: 'demo', type: 'demo', seed: 11 }],
  delivery: { operatorEmail: 'operator@xuancheng.example.gov.cn' },
  letters: { summaryRecipients: ['director@xuancheng.example.gov.cn'] },
});
const daemons: ChildProcess[] = [];

beforeAll(async () => {
  // The daemons run as the operator runs them: the built CLI, each in its own process.
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  db = await createTestDatabase('three');
  sink = await startSmtpSink();
}, 120_000);
afterAll(async () => {
  await Promise.all(daemons.map((d) => new Promise((resolve) => (d.exitCode !== null ? resolve(null) : (d.once('exit', resolve), d.kill('SIGTERM'))))));
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  await sink.close();
  config.remove();
  await db.drop();
});

describe('three daemons on one Postgres and Redis', () => {
  it('run every (job, slot) of two weeks exactly once and send each unit one letter', async () => {
    // Friday 2026-11-27 noon in Shanghai: 14 days to catch up, and Monday's letters due.
    const env = { ...process.env, DATABASE_URL: db.url, REDIS_URL, DUBAN_QUEUE_PREFIX: prefix, SMTP_URL: sink.url, DUBAN_NOW: '2026-11-27T12:00:00+08:00', LOG_LEVEL: 'warn' };
    for (let k = 0; k < 3; k++) {
      const child = spawn(process.execPath, ['dist/src/cli/main.js', '--config', config.file, 'start'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
      daemons.push(child);
    }
    const runs = () => db.db.selectFrom('job_runs').select(['job', 'slot', 'status', 'attempts', 'worker']).execute();
    await waitFor(runs, (r) => r.filter((x) => x.job === 'ingest' && x.status === 'succeeded').length === 14 && r.some((x) => x.job === 'digest' && x.status === 'succeeded'), 120_000);
    // Let the last evaluations, reconciliations and deliveries drain.
    await waitFor(
      async () => (await runs()).filter((x) => x.status !== 'succeeded').length + (await db.db.selectFrom('outbox').select('id').where('status', '=', 'pending').execute()).length,
      (n) => n === 0,
      60_000,
    );
    const all = await runs();
    expect(all.filter((x) => x.job === 'ingest')).toHaveLength(14);
    expect(all.filter((x) => x.job === 'evaluate').length).toBeGreaterThanOrEqual(14);
    expect(all.every((x) => x.status === 'succeeded' && x.attempts === 1)).toBe(true);
    // Every slot once, and the work really was shared among the three processes.
    expect(new Set(all.map((x) => `${x.job}-${x.slot}`)).size).toBe(all.length);
    expect(new Set(all.map((x) => x.worker)).size).toBeGreaterThan(1);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM observations`.execute(db.db)).rows[0]!.n).toBeGreaterThan(0);

    const letters = await db.db.selectFrom('letters').select(['unit_id', 'week']).execute();
    expect(letters.length).toBeGreaterThan(0);
    expect(new Set(letters.map((l) => `${l.week}/${l.unit_id}`)).size).toBe(letters.length);
    const ids = sink.received.map((m) => m.messageId);
    expect(ids.filter((id) => id?.startsWith('<letter-2026-W48-'))).toHaveLength(letters.length);
    expect(new Set(ids).size).toBe(ids.length);
  }, 240_000);
});
