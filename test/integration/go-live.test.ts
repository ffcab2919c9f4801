import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { AppContext } from '../../src/app-context';
import { runStep } from '../../src/cli/run-step';
import { Daemon } from '../../src/daemon';
import { dayRange } from '../../src/domain/day';
import { silentLogger } from '../helpers/ingest-fixture';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { waitFor } from '../helpers/wait-for';

/**
 * A bureau goes live: a fresh database, the daemon first started on a Monday at noon, 14 days of backfill. Everything
 * is ingested, judged and recorded, but only the latest data day may raise same-day alerts, and no 交办函 of a week
 * due before the start goes out by itself; a person sends it with `duban letters send --week`.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Monday 2026-11-30, 12:00 in Shanghai: the 08:00 ingest (lag 1: the 29th) and the 08:30 letters have fired.
const MONDAY_NOON = new Date('2026-11-30T04:00:00Z');

let db: TestDatabase;
let prefix: string;
let config: ReturnType<typeof writeTestConfig>;

beforeEach(async () => {
  db = await createTestDatabase('golive');
  prefix = `duban-test-${randomBytes(4).toString('hex')}`;
  config = writeTestConfig({
    ingest: { schedule: '0 8 * * *', lagDays: 1, lookbackDays: 14, attempts: 2 },
    // seed 7: the demo's values hold major anomalies on several days of the look-back.
    sources: [{ name: 'demo', type: 'demo', seed: 7 }],
    letters: { weekday: 1, time: '08:30' },
  });
});
afterEach(async () => {
  const r = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  config.remove();
  await db.drop();
});

const env = () => ({ DATABASE_URL: db.url, REDIS_URL, DUBAN_QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' });

async function outbox() {
  return db.db.selectFrom('outbox').select(['kind', 'period']).orderBy('id').execute();
}

describe('going live', () => {
  it('backfills 14 days on a first start, alerts only for the latest data day, and sends no letter due before it until asked', async () => {
    const daemon = await Daemon.start({ configPath: config.file, env: env(), logger: silentLogger, now: () => MONDAY_NOON, cron: false });
    const lookback = dayRange('2026-11-16', '2026-11-29');
    await waitFor(() => daemon.backfill(), (r) => r.length === 0, 120_000);
    await daemon.stop();

    // All 14 days ingested and judged, their problems recorded.
    const judged = await db.db.selectFrom('evaluation_runs').select('day').distinct().orderBy('day').execute();
    expect(judged.map((j) => j.day)).toEqual(lookback);
    const problems = await db.db.selectFrom('problems').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(problems.n)).toBeGreaterThan(0);
    // Major anomalies stand on earlier days, yet their alerts were held back; the alerts step says so for each.
    const majorDays = await db.db.selectFrom('anomalies').select('day').distinct().where('severity', '=', 'major').where('status', '=', 'active').execute();
    expect(majorDays.filter((d) => d.day < '2026-11-29').length).toBeGreaterThan(0);
    const alertRuns = await db.db.selectFrom('job_runs').select(['slot', 'result']).where('job', '=', 'alerts').where('status', '=', 'succeeded').execute();
    expect(alertRuns.filter((r) => JSON.stringify(r.result).includes('"heldBack":true')).length).toBeGreaterThan(0);
    for (const run of alertRuns) {
      expect(`${run.slot}: ${JSON.stringify(run.result)}`).toMatch(run.slot.startsWith('2026-11-29') ? /heldBack":false/ : /"alerts":0,"heldBack":true/);
    }
    const sent = await outbox();
    expect(sent.filter((m) => m.kind === 'alert').map((m) => m.period).filter((p) => p !== '2026-11-29')).toEqual([]);
    // No 交办函 or summary: W49's letters were due at 08:30, before the first start.
    expect(sent.filter((m) => m.kind === 'letter' || m.kind === 'summary')).toEqual([]);
    expect(await db.db.selectFrom('job_runs').select('job').where('job', 'in', ['letters', 'summary']).execute()).toEqual([]);

    // The operator sends them by hand; they assign the problems the backfill found, and the summary follows.
    const app = await AppContext.open({ configPath: config.file, env: env(), logger: silentLogger, now: () => MONDAY_NOON });
    const outcome = await runStep(app, 'letters', { week: '2026-W49' }, 'never');
    await app.close();
    expect(outcome.status).toBe('done');
    const after = await outbox();
    expect(after.filter((m) => m.kind === 'letter').length).toBeGreaterThan(0);
    expect(await db.db.selectFrom('job_runs').select(['job', 'slot', 'status']).where('job', '=', 'summary').execute()).toEqual([
      { job: 'summary', slot: '2026-W49', status: 'succeeded' },
    ]);

    // A later start is not go-live again: its letters go out by themselves.
    const again = await Daemon.start({ configPath: config.file, env: env(), logger: silentLogger, now: () => new Date('2026-12-07T04:00:00Z'), cron: false });
    await waitFor(
      () => db.db.selectFrom('job_runs').select(['slot', 'status']).where('job', '=', 'letters').where('slot', '=', '2026-W50').execute(),
      (r) => r.some((x) => x.status === 'succeeded'),
      120_000,
    );
    await again.stop();
  }, 300_000);
});
