import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { dayRange } from '../../src/domain/day';
import { CRASH_POINTS, CrashPoint } from '../../src/crash-points';
import { startDaemonProcess } from '../helpers/daemon-process';
import { pipelineDone, pipelineSnapshot } from '../helpers/pipeline-state';
import { startSmtpSink, SmtpSink } from '../helpers/smtp-sink';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { waitFor } from '../helpers/wait-for';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Three Mondays after the letters, each a catch-up of the week before: ingest, evaluation and reconciliation of the
 * new days, the week's letters, the director's summary and the alerts, all sent. By the third, problems assigned by
 * the first week's letters are overdue and escalate.
 */
const PHASES = [
  { now: '2026-11-09T12:00:00+08:00', week: '2026-W46', days: dayRange('2026-10-26', '2026-11-08') },
  { now: '2026-11-16T12:00:00+08:00', week: '2026-W47', days: dayRange('2026-11-09', '2026-11-15') },
  { now: '2026-11-23T12:00:00+08:00', week: '2026-W48', days: dayRange('2026-11-16', '2026-11-22') },
];

/**
 * Where, in which phase, the daemon dies; `@n` the n-th time it reaches the point in that process, so that the kills
 * fall on different jobs (a job whose daemon keeps dying under it is failed by BullMQ, and the sweep takes it up).
 */
const KILLS: Array<{ phase: number; at: `${CrashPoint}@${number}` }> = [
  { phase: 0, at: 'ingest.staged@1' },
  { phase: 0, at: 'ingest.committed@3' },
  { phase: 0, at: 'job.recorded@2' },
  { phase: 0, at: 'evaluate.judged@2' },
  { phase: 0, at: 'evaluate.absorbed@4' },
  { phase: 0, at: 'alerts.written@6' },
  { phase: 0, at: 'reconcile.uncommitted@1' },
  { phase: 0, at: 'reconcile.committed@4' },
  // The day's alerts wake the relay once the days are done: the kills of a phase follow its work in order.
  { phase: 0, at: 'relay.sent@2' },
  { phase: 1, at: 'ingest.committed@2' },
  { phase: 1, at: 'reconcile.committed@3' },
  { phase: 1, at: 'letters.uncommitted@1' },
  { phase: 1, at: 'letters.committed@1' },
  { phase: 2, at: 'summary.written@1' },
  { phase: 2, at: 'relay.sent@5' },
  { phase: 2, at: 'relay.settled@1' },
];

interface Deployment {
  db: TestDatabase;
  sink: SmtpSink;
  prefix: string;
  config: ReturnType<typeof writeTestConfig>;
}

const deployments: Deployment[] = [];

async function deploy(label: string): Promise<Deployment> {
  const d = {
    db: await createTestDatabase(label),
    sink: await startSmtpSink(),
    prefix: `duban-test-${label}-${randomBytes(3).toString('hex')}`,
    config: writeTestConfig({
      ingest: { schedule: '0 8 * * *', lagDays: 1, lookbackDays: 14, attempts: 3 },
      sources: [{ name: 'demo', type: 'demo', seed: 29 }],
      // Live since the first day simulated: its alerts and letters are the daily work, not a first start's backlog.
      delivery: { operatorEmail: 'operator@xuancheng.example.gov.cn', leaseMs: 2000, retryBaseMs: 1000, goLive: '2026-10-26' },
      letters: { summaryRecipients: ['director@xuancheng.example.gov.cn'] },
      // A dead daemon's job is taken up a few seconds after the restart rather than half a minute; the sweep runs
      // every five seconds so that a job BullMQ gave up on comes back within the test's patience.
      queue: { lockDurationMs: 4000, stalledIntervalMs: 1000, maxStalledCount: 2, sweep: '*/5 * * * * *' },
    }),
  };
  deployments.push(d);
  return d;
}

function envOf(d: Deployment, now: string) {
  return { DATABASE_URL: d.db.url, REDIS_URL, DUBAN_QUEUE_PREFIX: d.prefix, SMTP_URL: d.sink.url, DUBAN_NOW: now };
}

/** The phase's work done, and no job left claimed: a wake-up of the relay killed mid-send is taken up again too. */
async function untilDone(d: Deployment, phase: (typeof PHASES)[number]) {
  await waitFor(() => pipelineDone(d.db.db, phase.days, phase.week, 14), (s) => s.done, 120_000);
  await waitFor(() => d.db.db.selectFrom('job_runs').select(['job', 'slot', 'status']).where('status', '<>', 'succeeded').execute(), (r) => r.length === 0, 60_000);
}

/** What one sorted list has that the other has not, a few of each: readable where a full diff of thousands is not. */
function rowDifference(expected: string[], actual: string[]): { missing: string[]; extra: string[] } {
  const count = (rows: string[]) => rows.reduce((m, r) => m.set(r, (m.get(r) ?? 0) + 1), new Map<string, number>());
  const [want, have] = [count(expected), count(actual)];
  const less = (a: Map<string, number>, b: Map<string, number>) => [...a].filter(([r, n]) => (b.get(r) ?? 0) < n).map(([r]) => r).slice(0, 8);
  return { missing: less(want, have), extra: less(have, want) };
}

afterAll(async () => {
  const r = new Redis(REDIS_URL);
  for (const d of deployments) {
    const keys = await r.keys(`${d.prefix}:*`);
    if (keys.length) await r.del(...keys);
    await d.sink.close();
    d.config.remove();
    await d.db.drop();
  }
  r.disconnect();
});

describe('a daemon killed with SIGKILL and restarted', () => {
  it('ends with the same observations, problems, letters and ledger as a run never interrupted, and no letter missing', async () => {
    const [calm, crashed] = await Promise.all([deploy('calm'), deploy('crashed')]);
    expect(new Set(KILLS.map((k) => k.at.split('@')[0]))).toEqual(new Set(CRASH_POINTS));

    const runCalm = async () => {
      for (const phase of PHASES) {
        const daemon = startDaemonProcess(calm.config.file, envOf(calm, phase.now));
        await untilDone(calm, phase);
        expect(await daemon.stop()).toEqual({ code: 0, signal: null });
      }
    };
    const killed: string[] = [];
    const runCrashed = async () => {
      for (const [p, phase] of PHASES.entries()) {
        for (const kill of KILLS.filter((k) => k.phase === p)) {
          const daemon = startDaemonProcess(crashed.config.file, { ...envOf(crashed, phase.now), DUBAN_CRASH_AT: kill.at });
          let timer: NodeJS.Timeout | undefined;
          const ended = await Promise.race([daemon.exited, new Promise((r) => (timer = setTimeout(r, 90_000, 'still running')))]);
          clearTimeout(timer);
          if (ended === 'still running') {
            await daemon.stop();
            throw new Error(`${kill.at} was never reached in phase ${p}:\n${daemon.logTail()}`);
          }
          expect(ended).toEqual({ code: null, signal: 'SIGKILL' });
          expect(daemon.stderr()).toContain(`crash point ${kill.at.split('@')[0]}`);
          killed.push(kill.at);
        }
        const daemon = startDaemonProcess(crashed.config.file, envOf(crashed, phase.now));
        await untilDone(crashed, phase);
        expect(await daemon.stop()).toEqual({ code: 0, signal: null });
      }
    };
    await Promise.all([runCalm(), runCrashed()]);
    expect(killed).toHaveLength(KILLS.length);

    const [expected, actual] = await Promise.all([pipelineSnapshot(calm.db.db), pipelineSnapshot(crashed.db.db)]);
    expect(expected.letters.length).toBeGreaterThan(0);
    expect(expected.ledger.some((e) => e.startsWith('problem_escalated'))).toBe(true);
    for (const part of Object.keys(expected) as Array<keyof typeof expected>) {
      expect({ part, count: actual[part].length, ...rowDifference(expected[part], actual[part]) }).toEqual({ part, count: expected[part].length, missing: [], extra: [] });
    }

    // Every message of the outbox arrived; a message sent again after a crash came with its original Message-ID.
    const sent = (await crashed.db.db.selectFrom('outbox').select(['message_id', 'status']).execute());
    expect(sent.every((m) => m.status === 'delivered')).toBe(true);
    const arrived = crashed.sink.received.map((m) => m.messageId!);
    expect(new Set(arrived)).toEqual(new Set(sent.map((m) => m.message_id)));
    const resent = arrived.length - new Set(arrived).size;
    expect(resent).toBeGreaterThan(0); // the kills between sending and recording made some
    expect(calm.sink.received).toHaveLength(new Set(calm.sink.received.map((m) => m.messageId)).size);

    // No run is left looking alive: the ingest runs cut off are marked failed, naming the run that redid them.
    const cut = await crashed.db.db.selectFrom('ingest_runs').select(['status', 'error']).where('status', '<>', 'succeeded').execute();
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.every((r) => r.status === 'failed' && /^进程中断/.test(r.error ?? ''))).toBe(true);
    const jobs = await crashed.db.db.selectFrom('job_runs').select(['job', 'slot', 'status']).where('status', '<>', 'succeeded').execute();
    expect(jobs).toEqual([]);
  }, 600_000);
});
