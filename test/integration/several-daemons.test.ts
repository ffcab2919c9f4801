import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { addDays, dayRange } from '../../src/domain/day';
import { isoWeekOf } from '../../src/domain/iso-week';
import { DaemonProcess, startDaemonProcess } from '../helpers/daemon-process';
import { pipelineDone } from '../helpers/pipeline-state';
import { startSmtpSink, SmtpSink } from '../helpers/smtp-sink';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { waitFor } from '../helpers/wait-for';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LOOKBACK = 3;
/** Two simulated weeks, a day at a time: Monday 2026-11-16 to Sunday 11-29, with letters on both Mondays. */
const DAYS = dayRange('2026-11-16', '2026-11-29');

let db: TestDatabase;
let sink: SmtpSink;
const prefix = `duban-test-three-${randomBytes(3).toString('hex')}`;
const config = writeTestConfig({
  ingest: { schedule: '0 8 * * *', lagDays: 1, lookbackDays: LOOKBACK, attempts: 2 },
  sources: [{ name: 'demo', type: 'demo', seed: 11 }],
  // Live from the first simulated day: its Monday letters, due at 08:30 before the noon start, still go out.
  delivery: { operatorEmail: 'operator@xuancheng.example.gov.cn', goLive: '2026-11-16' },
  letters: { summaryRecipients: ['director@xuancheng.example.gov.cn'] },
});
let daemons: DaemonProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('three');
  sink = await startSmtpSink();
});
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  await sink.close();
  config.remove();
  await db.drop();
});

describe('three daemons on one Postgres and Redis', () => {
  it('run every (job, slot) of two simulated weeks exactly once and send each unit one letter a week', async () => {
    const started: string[][] = [];
    for (const day of DAYS) {
      // Noon of each day in Shanghai: the morning's ingest (of the day before) is due, and on Mondays the letters.
      // Three processes of the built CLI start together on that clock, share the day's work, and are stopped.
      const env = { DATABASE_URL: db.url, REDIS_URL, DUBAN_QUEUE_PREFIX: prefix, SMTP_URL: sink.url, DUBAN_NOW: `${day}T12:00:00+08:00` };
      daemons = [0, 1, 2].map(() => startDaemonProcess(config.file, env));
      started.push(await Promise.all(daemons.map((d) => d.started.then(() => String(d.child.pid)))));
      const window = dayRange(addDays(day, -LOOKBACK), addDays(day, -1));
      await waitFor(() => pipelineDone(db.db, window, isoWeekOf(day), LOOKBACK), (s) => s.done, 60_000);
      expect(await Promise.all(daemons.map((d) => d.stop()))).toEqual([0, 1, 2].map(() => ({ code: 0, signal: null })));
    }
    expect(started.flat()).toHaveLength(3 * DAYS.length);

    const all = await db.db.selectFrom('job_runs').select(['job', 'slot', 'status', 'attempts', 'worker']).execute();
    const ingested = all.filter((x) => x.job === 'ingest').map((x) => x.slot).sort();
    expect(ingested).toEqual(dayRange(addDays(DAYS[0]!, -LOOKBACK), addDays(DAYS.at(-1)!, -1)));
    expect(all.filter((x) => x.job === 'evaluate').length).toBeGreaterThanOrEqual(ingested.length);
    expect(all.filter((x) => x.job === 'reconcile').length).toBeGreaterThanOrEqual(ingested.length);
    expect(all.filter((x) => x.job === 'letters').map((x) => x.slot).sort()).toEqual(['2026-W47', '2026-W48']);
    // Each slot ran once, by one of the processes then up, and the processes of a day did share the work.
    expect(all.filter((x) => x.status !== 'succeeded' || x.attempts !== 1)).toEqual([]);
    const workers = new Set(all.map((x) => x.worker.replace(/^.*-/, '')));
    expect([...workers].every((pid) => started.flat().includes(pid))).toBe(true);
    expect(workers.size).toBeGreaterThan(DAYS.length);

    const letters = await db.db.selectFrom('letters').select(['unit_id', 'week']).execute();
    expect(new Set(letters.map((l) => l.week))).toEqual(new Set(['2026-W47', '2026-W48']));
    expect(new Set(letters.map((l) => `${l.week}/${l.unit_id}`)).size).toBe(letters.length);
    const ids = sink.received.map((m) => m.messageId);
    expect(ids.filter((id) => id?.startsWith('<letter-'))).toHaveLength(letters.length);
    expect(new Set(ids).size).toBe(ids.length);
  }, 300_000);
});
