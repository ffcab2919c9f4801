import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createDatabase, DatabaseHandle } from '../../src/db/database';
import { setupRoles } from '../../src/db/roles';
import { dayRange } from '../../src/domain/day';
import { DaemonProcess, startDaemonProcess } from '../helpers/daemon-process';
import { pipelineDone, pipelineSnapshot } from '../helpers/pipeline-state';
import { PrivateService, startPrivatePostgres, startPrivateRedis } from '../helpers/private-services';
import { startSmtpSink, SmtpSink } from '../helpers/smtp-sink';
import { writeTestConfig } from '../helpers/test-config';
import { asRole, createTestDatabase, TEST_ROLES, TestDatabase } from '../helpers/test-database';
import { waitFor } from '../helpers/wait-for';

const OUTAGE_MS = 30_000;
/** Two Mondays, each catching up a week: the first loses Redis mid-run, the second Postgres. */
const PHASES = [
  { now: '2026-11-16T12:00:00+08:00', week: '2026-W47', days: dayRange('2026-11-09', '2026-11-15') },
  { now: '2026-11-23T12:00:00+08:00', week: '2026-W48', days: dayRange('2026-11-16', '2026-11-22') },
];
const config = writeTestConfig({
  ingest: { schedule: '0 8 * * *', lagDays: 1, lookbackDays: 7, attempts: 8 },
  sources: [{ name: 'demo', type: 'demo', seed: 31 }],
  // Live since the first day simulated: its alerts and letters are the daily work, not a first start's backlog.
  delivery: { operatorEmail: 'operator@xuancheng.example.gov.cn', leaseMs: 2000, retryBaseMs: 1000, goLive: '2026-11-09' },
  letters: { summaryRecipients: ['director@xuancheng.example.gov.cn'] },
  // Retries a second apart and doubling: a 30 s outage is outlasted by the attempts, as the default 30 s ones would.
  queue: { lockDurationMs: 4000, stalledIntervalMs: 1000, retryDelayMs: 1000, sweep: '*/5 * * * * *' },
});

let pgServer: PrivateService;
let redisServer: PrivateService;
let db: DatabaseHandle;
let calm: TestDatabase;
let sink: SmtpSink;
let calmSink: SmtpSink;
const calmPrefix = `duban-test-calm-${randomBytes(3).toString('hex')}`;
const SHARED_REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

beforeAll(async () => {
  [pgServer, redisServer, calm, sink, calmSink] = await Promise.all([startPrivatePostgres(), startPrivateRedis(), createTestDatabase('calm'), startSmtpSink(), startSmtpSink()]);
  // The private server set up as production is: the daemon runs as the app role, the owner migrates.
  await setupRoles(`${pgServer.url}/duban`, { owner: TEST_ROLES.owner, app: TEST_ROLES.app });
  db = createDatabase(`${pgServer.url}/duban`);
}, 60_000);
afterAll(async () => {
  await db.close();
  await Promise.all([pgServer.remove(), redisServer.remove(), sink.close(), calmSink.close(), calm.drop()]);
  const r = new Redis(SHARED_REDIS);
  const keys = await r.keys(`${calmPrefix}:*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  config.remove();
});

async function readiness(port: number): Promise<{ status: number; body: { ready: boolean; checks: Record<string, { status: string }> } }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as never };
}

/** Takes `service` away for 30 s once the daemon's first job of the phase has started, checking all the while that the daemon stays up and says so. */
async function outage(daemon: DaemonProcess, service: PrivateService, name: 'postgres' | 'redis'): Promise<void> {
  const port = await daemon.started;
  await daemon.untilLog(/"job":"ingest".*"msg":"job started"/);
  await service.stop();
  const until = Date.now() + OUTAGE_MS;
  const seen: number[] = [];
  while (Date.now() < until) {
    const r = await readiness(port).catch((err: Error) => {
      throw new Error(`${err.message}; the daemon: exit ${daemon.child.exitCode}, stderr:\n${daemon.stderr().slice(-3000)}\nlog:\n${daemon.logTail(15)}`);
    });
    seen.push(r.status);
    expect(r.body.checks[name]!.status).toBe('error');
    expect(daemon.child.exitCode).toBeNull();
    await new Promise((res) => setTimeout(res, 2000));
  }
  expect(seen.length).toBeGreaterThanOrEqual(5);
  expect(seen.every((s) => s === 503)).toBe(true);
  await service.start();
}

describe('a daemon whose Redis, then Postgres, goes away for 30 s mid-run', () => {
  it('stays up, says so on /readyz, and completes the days with nothing lost', async () => {
    const env = (now: string) => ({ DATABASE_URL: asRole(`${pgServer.url}/duban`, TEST_ROLES.app), REDIS_URL: redisServer.url, SMTP_URL: sink.url, DUBAN_NOW: now });
    const calmEnv = (now: string) => ({ DATABASE_URL: calm.url, REDIS_URL: SHARED_REDIS, DUBAN_QUEUE_PREFIX: calmPrefix, SMTP_URL: calmSink.url, DUBAN_NOW: now });

    for (const [p, phase] of PHASES.entries()) {
      const reference = startDaemonProcess(config.file, calmEnv(phase.now));
      const daemon = startDaemonProcess(config.file, env(phase.now));
      await outage(daemon, p === 0 ? redisServer : pgServer, p === 0 ? 'redis' : 'postgres');
      await waitFor(() => pipelineDone(db.db, phase.days, phase.week, 7).catch(() => ({ done: false, missing: ['postgres'] })), (s) => s.done, 180_000);
      expect((await readiness(await daemon.started)).status).toBe(200);
      await waitFor(() => pipelineDone(calm.db, phase.days, phase.week, 7), (s) => s.done, 60_000);
      expect(await daemon.stop()).toEqual({ code: 0, signal: null });
      expect(await reference.stop()).toEqual({ code: 0, signal: null });
    }

    // Nothing lost, nothing doubled: the same facts as a daemon that never saw an outage, every message delivered once
    // or, where a delivery could not be recorded, again under its own Message-ID.
    const [expected, actual] = await Promise.all([pipelineSnapshot(calm.db), pipelineSnapshot(db.db)]);
    for (const part of Object.keys(expected) as Array<keyof typeof expected>) expect({ part, rows: actual[part] }).toEqual({ part, rows: expected[part] });
    const outbox = await db.db.selectFrom('outbox').select('message_id').execute();
    expect(new Set(sink.received.map((m) => m.messageId))).toEqual(new Set(outbox.map((m) => m.message_id)));
    expect(await db.db.selectFrom('job_runs').select(['job', 'slot']).where('status', '<>', 'succeeded').execute()).toEqual([]);
  }, 420_000);
});
