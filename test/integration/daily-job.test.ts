import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { AppContext } from '../../src/app-context';
import { Daemon } from '../../src/daemon';
import { addDays, dayRange } from '../../src/domain/day';
import { JobQueue } from '../../src/queue/job-queue';
import { jobId } from '../../jobs/pipeline';
import { createJobWorker } from '../../src/queue/job-worker';
import { silentLogger } from '../helpers/ingest-fixture';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { waitFor } from '../helpers/wait-for';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// 2026-11-27 12:00 in Shanghai: the 08:00 run has fired today, so the latest slot is the 26th (lag 1).
const NOW = new Date('2026-11-27T04:00:00Z');

let db: TestDatabase;
let prefix: string;
let config: ReturnType<typeof writeTestConfig>;
const redis: IORedis[] = [];

function env() {
  return { DATABASE_URL: db.url, REDIS_URL, DUBAN_QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' };
}
function connect() {
  const r = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
  redis.push(r);
  return r;
}
async function ingestRuns(day?: string) {
  let q = db.db.selectFrom('ingest_runs').select(['day', 'status']);
  if (day) q = q.where('day', '=', day);
  return q.execute();
}
async function jobRuns() {
  return db.db.selectFrom('job_runs').select(['slot', 'status', 'attempts']).where('job', '=', 'ingest').orderBy('slot').execute();
}

beforeEach(async () => {
  db = await createTestDatabase('daily');
  prefix = `duban-test-${randomBytes(4).toString('hex')}`;
  config = writeTestConfig({
    ingest: { schedule: '0 8 * * *', lagDays: 1, lookbackDays: 7, attempts: 2 },
    sources: [{ name: 'demo', type: 'demo', seed: 3 }],
    // Live since before the look-back: a start catches up Monday's letters (a first start would not: go-live.test.ts).
    delivery: { goLive: '2026-11-16' },
  });
});
afterEach(async () => {
  const r = connect();
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length) await r.del(...keys);
  for (const c of redis.splice(0)) c.disconnect();
  config.remove();
  await db.drop();
});

describe('the daily ingest job', () => {
  it('runs once when two producers enqueue the same day at once, and again never once it succeeded', async () => {
    const app = await AppContext.open({ configPath: config.file, env: env(), logger: silentLogger, prepare: true, now: () => NOW });
    const queues = [new JobQueue(connect(), prefix, app.config, app.pipeline), new JobQueue(connect(), prefix, app.config, app.pipeline)];
    const ids = await Promise.all(queues.map((q) => q.enqueue('ingest', { day: '2026-11-26', trigger: 'test' }, { attempts: 1 })));
    expect(ids).toEqual(['ingest-2026-11-26', 'ingest-2026-11-26']);
    expect(await queues[0]!.queue.getJobCountByTypes('waiting', 'active', 'completed')).toBe(1);

    // Its follow-ups (the day's evaluation) are not this test's business.
    const worker = createJobWorker(connect(), prefix, app.runner({ mode: 'enqueue', enqueue: async () => undefined }));
    await waitFor(jobRuns, (r) => r[0]?.status === 'succeeded');

    // Redis forgets the job (trimmed, or a fresh Redis); a producer adds the slot again: Postgres still says done.
    await queues[0]!.queue.obliterate({ force: true });
    await queues[1]!.enqueue('ingest', { day: '2026-11-26', trigger: 'test' }, { attempts: 1 });
    await waitFor(() => queues[1]!.queue.getCompletedCount(), (n) => n === 1);
    const [job] = await queues[1]!.queue.getCompleted();
    expect(job!.returnvalue).toMatchObject({ status: 'skipped' });

    expect(await jobRuns()).toEqual([{ slot: '2026-11-26', status: 'succeeded', attempts: 1 }]);
    expect(await ingestRuns('2026-11-26')).toEqual([{ day: '2026-11-26', status: 'succeeded' }]);
    await worker.close();
    await Promise.all(queues.map((q) => q.close()));
    await app.close();
  });

  it('backfills after a gap exactly the days in the look-back without a successful run', async () => {
    const app = await AppContext.open({ configPath: config.file, env: env(), logger: silentLogger, prepare: true, now: () => NOW });
    const runner = app.runner({ mode: 'enqueue', enqueue: async () => undefined });
    // Days the daemon had done before it went down (their follow-ups lost with it).
    for (const day of ['2026-11-20', '2026-11-21', '2026-11-24']) await runner.run('ingest', { day, trigger: 'test' });
    await app.close();

    const daemon = await Daemon.start({ configPath: config.file, env: env(), logger: silentLogger, now: () => NOW, cron: false });
    const lookback = dayRange('2026-11-20', '2026-11-26');
    const runs = await waitFor(jobRuns, (r) => r.length === 7 && r.every((x) => x.status === 'succeeded'));
    expect(runs.map((r) => r.slot)).toEqual(lookback);
    // Each day ingested exactly once: the three done before were not run again.
    for (const day of lookback) expect(await ingestRuns(day)).toHaveLength(1);
    expect(await ingestRuns(addDays('2026-11-20', -1))).toHaveLength(0);
    expect(await ingestRuns('2026-11-27')).toHaveLength(0);

    // Monday's letters, due and not sent, follow the backfilled days, and the summary them. A restart then finds
    // nothing left to do.
    await waitFor(
      () => db.db.selectFrom('job_runs').select('status').where('job', 'in', ['letters', 'summary']).execute(),
      (r) => r.length === 2 && r.every((x) => x.status === 'succeeded'),
    );
    const timeline = await db.db.selectFrom('job_runs').select(['job', 'started_at', 'finished_at']).execute();
    const lastEvaluated = Math.max(...timeline.filter((j) => j.job === 'evaluate').map((j) => j.finished_at!.getTime()));
    // Every day judged once: the four ingested after the restart, and the three ingested before it (by a runner
    // without a queue, so never judged), which the start's sweep found. The 24th waited for the 22nd and 23rd, whose
    // values its rules compare with, and a verdict queued before they came in was passed over as superseded.
    const judged = await db.db.selectFrom('evaluation_runs').select('day').orderBy('day').execute();
    expect(judged.map((j) => j.day)).toEqual(lookback);
    expect(timeline.find((j) => j.job === 'letters')!.started_at.getTime()).toBeGreaterThanOrEqual(lastEvaluated);
    expect(await daemon.backfill()).toEqual([]);
    await daemon.stop();
  });

  it('runs each day once when two daemons start together', async () => {
    const start = () => Daemon.start({ configPath: config.file, env: env(), logger: silentLogger, now: () => NOW, cron: false });
    const daemons = await Promise.all([start(), start()]);
    await waitFor(jobRuns, (r) => r.length === 7 && r.every((x) => x.status === 'succeeded'));
    const runs = await ingestRuns();
    expect(runs).toHaveLength(7);
    expect(new Set(runs.map((r) => r.day)).size).toBe(7);
    expect((await jobRuns()).every((r) => r.attempts === 1)).toBe(true);

    // Each ingested day is evaluated once, after its ingest, with the rules both daemons adopted once.
    const evaluations = await waitFor(
      () => db.db.selectFrom('job_runs').select(['slot', 'status', 'attempts']).where('job', '=', 'evaluate').execute(),
      (r) => r.length === 7 && r.every((x) => x.status === 'succeeded'),
    );
    expect(new Set(evaluations.map((e) => e.slot.slice(0, 10)))).toEqual(new Set(dayRange('2026-11-20', '2026-11-26')));
    expect(await db.db.selectFrom('evaluation_runs').select('day').execute()).toHaveLength(7);
    const versions = await db.db.selectFrom('rule_versions').select(['rule_id', 'version', 'created_by']).execute();
    expect(versions.every((v) => v.version === 1 && v.created_by === 'duban')).toBe(true);
    expect(new Set(versions.map((v) => v.rule_id)).size).toBe(versions.length);
    const anomalies = await db.db.selectFrom('anomalies').select(['rule_id', 'day']).execute();
    expect(anomalies.length).toBeGreaterThan(0);
    // Monday's letters were due and had not gone: caught up at start, by one daemon, once.
    const digests = await waitFor(
      () => db.db.selectFrom('job_runs').select(['slot', 'status', 'attempts']).where('job', '=', 'letters').execute(),
      (r) => r.length === 1 && r[0]!.status === 'succeeded',
    );
    expect(digests).toEqual([{ slot: '2026-W48', status: 'succeeded', attempts: 1 }]);
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it('judges again the days after a day whose values came late, and only those', async () => {
    const app = await AppContext.open({ configPath: config.file, env: env(), logger: silentLogger, prepare: true, now: () => NOW });
    const enqueued: string[] = [];
    const runner = app.runner({ mode: 'enqueue', enqueue: async (next) => void enqueued.push(jobId(next.step, app.pipeline.steps[next.step]!.slot(next.data))) });
    const runOf = async (day: string) => (await db.db.selectFrom('ingest_runs').select('id').where('day', '=', day).orderBy('id', 'desc').executeTakeFirstOrThrow()).id;
    for (const day of ['2026-11-20', '2026-11-22', '2026-11-23']) await runner.run('ingest', { day, trigger: 'test' });
    const [r20, r22, r23] = [await runOf('2026-11-20'), await runOf('2026-11-22'), await runOf('2026-11-23')];
    // In order, each day's verdict follows the newest run among it and the days before it (its own).
    expect(enqueued.splice(0)).toEqual([`evaluate-2026-11-20-r${r20}`, `evaluate-2026-11-22-r${r22}`, `evaluate-2026-11-23-r${r23}`]);

    // The 21st comes in late: its verdict, and those of the 22nd and 23rd (whose drop is measured against it), are
    // new slots; the 20th, before it, is not judged again.
    await runner.run('ingest', { day: '2026-11-21', trigger: 'test' });
    const r21 = await runOf('2026-11-21');
    expect(enqueued.splice(0)).toEqual(['2026-11-21', '2026-11-22', '2026-11-23'].map((d) => `evaluate-${d}-r${r21}`));
    await app.close();
  });

  it('retries a failed day on the next start', async () => {
    const broken = writeTestConfig({
      ingest: { schedule: '0 8 * * *', lagDays: 1, lookbackDays: 1, attempts: 1 },
      sources: [{ name: 'inbox', type: 'csv', path: '/nonexistent/inbox' }],
      delivery: { goLive: '2026-11-16' },
    });
    const first = await Daemon.start({ configPath: broken.file, env: env(), logger: silentLogger, now: () => NOW, cron: false });
    await waitFor(jobRuns, (r) => r[0]?.status === 'failed');
    // Monday's letters, before going out, try the missing day once more (the file might have come): it fails again.
    await waitFor(() => db.db.selectFrom('job_runs').select('status').where('job', '=', 'letters').execute(), (r) => r[0]?.status === 'succeeded');
    await first.stop();
    const failed = await db.db.selectFrom('ingest_runs').select(['status', 'error']).execute();
    expect(failed).toEqual([1, 2].map(() => ({ status: 'failed', error: '/nonexistent/inbox：文件或目录不存在' })));

    // The operator fixes the config (here: a working source) and restarts; the failed day is run again.
    const fixed = writeTestConfig({
      ingest: { schedule: '0 8 * * *', lagDays: 1, lookbackDays: 1, attempts: 1 },
      sources: [{ name: 'demo', type: 'demo', seed: 3 }],
    });
    const second = await Daemon.start({ configPath: fixed.file, env: env(), logger: silentLogger, now: () => NOW, cron: false });
    await waitFor(jobRuns, (r) => r[0]?.status === 'succeeded');
    expect(await jobRuns()).toEqual([{ slot: '2026-11-26', status: 'succeeded', attempts: 3 }]);
    await second.stop();
    broken.remove();
    fixed.remove();
  });
});
