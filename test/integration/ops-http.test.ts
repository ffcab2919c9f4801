import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { Daemon } from '../../src/daemon';
import { createMailTransport, MailTransport } from '../../src/delivery/mail-transport';
import { STEP_NAMES } from '../../jobs/pipeline';
import { OpsMetrics } from '../../src/ops/metrics';
import { OpsServer } from '../../src/ops/ops-server';
import { ReadinessCheck } from '../../src/ops/readiness';
import { OpsRepository } from '../../src/repositories/ops.repository';
import { ProblemActionService } from '../../src/services/problem-action.service';
import { silentLogger } from '../helpers/ingest-fixture';
import { startSmtpSink } from '../helpers/smtp-sink';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { waitFor } from '../helpers/wait-for';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Noon in Shanghai on Friday 2026-11-27: the 26th is the day to ingest.
const NOW = new Date('2026-11-27T04:00:00Z');

let db: TestDatabase;
let prefix: string;
let config: ReturnType<typeof writeTestConfig>;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

function env() {
  return { DATABASE_URL: db.url, REDIS_URL, DUBAN_QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' };
}

/** One scrape, as `name{label="v",...}` (labels sorted) → value. */
async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = (m[2] ?? '').split(/,(?=[a-zA-Z_]+=")/).filter(Boolean).sort().join(',');
    samples.set(labels ? `${m[1]}{${labels}}` : m[1]!, Number(m[3]));
  }
  return samples;
}

const sample = (samples: Map<string, number>, key: string): number => {
  const v = samples.get(key);
  if (v === undefined) throw new Error(`metric ${key} not exposed; have: ${[...samples.keys()].filter((k) => k.startsWith('duban_')).join(' ')}`);
  return v;
};

beforeEach(async () => {
  db = await createTestDatabase('ops');
  prefix = `duban-test-${randomBytes(4).toString('hex')}`;
  // No look-back: the test enqueues the one day it wants, so the counters move only for it.
  config = writeTestConfig({
    ingest: { schedule: '0 8 * * *', lagDays: 1, lookbackDays: 0, attempts: 1 },
    sources: [{ name: 'demo', type: 'demo', seed: 3 }],
    // Live before this week: a start catches up Monday's letters (a first start would hold them back).
    delivery: { goLive: '2026-11-01' },
  });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  const r = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  config.remove();
  await db.drop();
});

describe('the daemon’s operations endpoints', () => {
  it('answers /healthz and /readyz, and /metrics counts the jobs it runs next to gauges read from Postgres', async () => {
    const daemon = await Daemon.start({ configPath: config.file, env: env(), logger: silentLogger, now: () => NOW, cron: false, ops: { port: 0 } });
    cleanups.push(() => daemon.stop());
    const base = `http://127.0.0.1:${daemon.opsPort}`;
    expect(daemon.opsPort).toBeGreaterThan(0);

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const body = await ready.text();
    expect(JSON.parse(body)).toEqual({
      status: 'ready',
      checks: {
        postgres: { status: 'ok', latencyMs: expect.any(Number) },
        redis: { status: 'ok', latencyMs: expect.any(Number) },
        smtp: { status: 'not configured' },
      },
    });
    expect(body).not.toMatch(/postgres:\/\/|redis:\/\//);

    // The API answers beside them on its own port, and counts whom it turns away on this /metrics.
    expect(daemon.apiPort).toBeGreaterThan(0);
    const anonymous = await fetch(`http://127.0.0.1:${daemon.apiPort}/api/v1/problems`);
    expect(anonymous.status).toBe(401);
    const { token } = await daemon.app.services.access.create({ person: '王操作', role: 'operator', units: [], expiresInDays: 1, by: 'test' });
    const listed = await fetch(`http://127.0.0.1:${daemon.apiPort}/api/v1/problems`, { headers: { authorization: `Bearer ${token}` } });
    expect(listed.status).toBe(200);
    expect((await scrape(daemon.opsPort)).get('duban_api_denied_total{kind="unauthenticated",reason="missing"}')).toBe(1);

    // This week's letters and summary were due at start (nothing to send yet); the ingest below then runs alone.
    await waitFor(() => scrape(daemon.opsPort), (s) => s.get('duban_job_runs_total{job="summary",outcome="done"}') === 1);
    const before = await scrape(daemon.opsPort);
    expect(sample(before, 'duban_job_runs_total{job="ingest",outcome="done"}')).toBe(0);
    expect(sample(before, 'duban_ingest_rows_total{outcome="accepted"}')).toBe(0);
    expect(before.has('process_cpu_user_seconds_total')).toBe(true);

    await daemon.enqueue('ingest', { day: '2026-11-26', trigger: 'test' }, { attempts: 1 });
    // The ingest brings new values, so evaluation and reconciliation follow it.
    const after = await waitFor(
      () => scrape(daemon.opsPort),
      (s) => s.get('duban_job_runs_total{job="ingest",outcome="done"}') === 1 && s.get('duban_job_runs_total{job="reconcile",outcome="done"}') === 1,
    );
    const [run] = await db.db.selectFrom('ingest_runs').select(['accepted', 'rejected']).execute();
    expect(sample(after, 'duban_ingest_rows_total{outcome="accepted"}')).toBe(run!.accepted);
    expect(sample(after, 'duban_ingest_rows_total{outcome="accepted"}')).toBeGreaterThan(0);
    expect(sample(after, 'duban_ingest_rows_total{outcome="rejected"}')).toBe(run!.rejected);
    expect(sample(after, 'duban_job_duration_seconds_count{job="ingest"}')).toBe(1);
    expect(sample(after, 'duban_job_runs_total{job="evaluate",outcome="done"}')).toBe(1);
    expect(sample(after, 'duban_job_runs_total{job="ingest",outcome="failed"}')).toBe(0);

    // Every anomaly the evaluation recorded is counted once, by severity.
    const anomalies = await db.db.selectFrom('anomalies').select('severity').execute();
    expect(anomalies.length).toBeGreaterThan(0);
    for (const severity of ['warning', 'major'] as const) {
      expect(sample(after, `duban_anomalies_total{severity="${severity}"}`)).toBe(anomalies.filter((a) => a.severity === severity).length);
    }

    // The gauges say what Postgres says, at the moment of the scrape.
    const problems = await db.db.selectFrom('problems').select(['id', 'state']).orderBy('id').execute();
    expect(problems.length).toBeGreaterThan(0);
    const first = problems[0]!.id;
    // Assigned on 11/16 with the 5 working days of a simple problem: its deadline (11/23) is past on the 27th.
    await new ProblemActionService({ db: db.db, config: daemon.app.config }).act(first, { type: 'assign' }, { actor: 'test', on: '2026-11-16' });
    const gauges = await scrape(daemon.opsPort);
    expect(sample(gauges, 'duban_problems{state="open"}')).toBe(problems.length - 1);
    expect(sample(gauges, 'duban_problems{state="assigned"}')).toBe(1);
    expect(sample(gauges, 'duban_problems{state="pending_verification"}')).toBe(0);
    expect(sample(gauges, 'duban_problems_overdue')).toBe(1);
    const outbox = await db.db.selectFrom('outbox').select('status').execute();
    for (const status of ['pending', 'delivered', 'failed'] as const) {
      expect(sample(gauges, `duban_outbox_messages{status="${status}"}`)).toBe(outbox.filter((o) => o.status === status).length);
    }
    const oldest = sample(gauges, 'duban_outbox_oldest_pending_seconds');
    expect(oldest).toBeGreaterThanOrEqual(0);
    if (outbox.every((o) => o.status !== 'pending')) expect(oldest).toBe(0);
  });

  it('reports not ready (503) when Redis does not answer, with each dependency’s detail and no secret', async () => {
    // A port nothing listens on: the machine's Redis stays up for the other tests.
    const deadRedis = new IORedis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    cleanups.push(() => deadRedis.disconnect());
    // A mail server that is down, reached with credentials: they must not show.
    const deadSmtp = createMailTransport('smtp://duban:s3cret-pass@127.0.0.1:1');
    cleanups.push(() => deadSmtp.close());
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const metrics = new OpsMetrics({ repo: new OpsRepository(db.db), today: () => '2026-11-27', steps: STEP_NAMES });
    const server = new OpsServer({ readiness: new ReadinessCheck({ db: db.db, redis: deadRedis, smtp: deadSmtp, timeoutMs: 1000 }), metrics, logger });
    const port = await server.listen('127.0.0.1', 0);
    cleanups.push(() => server.close());

    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(res.status).toBe(503);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.status).toBe('not ready');
    expect(body.checks.postgres).toEqual({ status: 'ok', latencyMs: expect.any(Number) });
    expect(body.checks.redis).toEqual({ status: 'error', error: expect.any(String), latencyMs: expect.any(Number) });
    expect(body.checks.smtp).toEqual({ status: 'error', error: expect.any(String), latencyMs: expect.any(Number) });
    expect(text).not.toContain('s3cret');
    expect(lines.join('')).toContain('not ready');
    expect(lines.join('')).not.toContain('s3cret');

    // /metrics does not depend on Redis: the counters and the Postgres gauges still come.
    expect(sample(await scrape(port), 'duban_problems_overdue')).toBe(0);
  });

  it('reports an SMTP server that answers, and stays ready while SMTP is down', async () => {
    const sink = await startSmtpSink();
    cleanups.push(() => sink.close());
    const transports: MailTransport[] = [createMailTransport(sink.url), createMailTransport('smtp://127.0.0.1:1')];
    cleanups.push(() => transports.forEach((t) => t.close()));
    const redis = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
    cleanups.push(() => redis.disconnect());

    const up = await new ReadinessCheck({ db: db.db, redis, smtp: transports[0] }).check();
    expect(up).toEqual({ ready: true, checks: expect.objectContaining({ smtp: { status: 'ok', latencyMs: expect.any(Number) } }) });
    const down = await new ReadinessCheck({ db: db.db, redis, smtp: transports[1] }).check();
    expect(down.ready).toBe(true);
    expect(down.checks.smtp.status).toBe('error');
  });

  it('stops within the grace when a job does not finish, handing the job back', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    // Another session holds the day's ingest lock, so the job waits on it for as long as the test likes.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT pg_advisory_xact_lock(hashtext('duban.ingest'), hashtext('2026-11-26'))`);
    cleanups.push(async () => {
      await blocker.query('ROLLBACK');
      await blocker.end();
    });

    const daemon = await Daemon.start({ configPath: config.file, env: env(), logger, now: () => NOW, cron: false, ops: { port: 0, shutdownGraceMs: 500 } });
    await waitFor(
      () => db.db.selectFrom('job_runs').select('status').where('job', '=', 'summary').executeTakeFirst(),
      (r) => r?.status === 'succeeded',
    );
    await daemon.enqueue('ingest', { day: '2026-11-26', trigger: 'test' }, { attempts: 1 });
    await waitFor(
      () => db.db.selectFrom('job_runs').select('status').where('job', '=', 'ingest').executeTakeFirst(),
      (r) => r?.status === 'running',
    );

    const started = Date.now();
    await daemon.stop();
    // The grace, then at most the wait for Postgres connections the job still holds.
    expect(Date.now() - started).toBeLessThan(500 + 5000 + 2000);
    const handedBack = lines.map((l) => JSON.parse(l)).find((l) => String(l.msg).includes('handed back'));
    expect(handedBack).toMatchObject({ level: 40, job: 'ingest-2026-11-26', graceMs: 500 });
    expect(lines.some((l) => l.includes('duban stopped'))).toBe(true);
    // The slot did not succeed, so a worker that takes the job up again will run it.
    const run = await db.db.selectFrom('job_runs').select('status').where('job', '=', 'ingest').executeTakeFirstOrThrow();
    expect(run.status).not.toBe('succeeded');
    // Let the abandoned job's statement end before the database goes, so its connection does not die under it.
    await blocker.query('ROLLBACK');
    await blocker.query('BEGIN');
    await new Promise((r) => setTimeout(r, 1000));
  });

  it('refuses to start, closing what it opened, when the ops port is taken', async () => {
    const first = await Daemon.start({ configPath: config.file, env: env(), logger: silentLogger, now: () => NOW, cron: false, ops: { port: 0 } });
    cleanups.push(() => first.stop());
    await expect(
      Daemon.start({ configPath: config.file, env: env(), logger: silentLogger, now: () => NOW, cron: false, ops: { port: first.opsPort } }),
    ).rejects.toThrow(`运维接口无法在 127.0.0.1:${first.opsPort} 上监听`);
  });
});
