import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { z } from 'zod';
import { HANDLERS, Pipeline } from '../../jobs/handlers';
import { AnyStepSpec, STEPS } from '../../jobs/pipeline';
import { describePipeline } from '../../jobs/pipeline-table';
import type { AnyStepHandler } from '../../jobs/step-handler';
import { Daemon } from '../../src/daemon';
import { silentLogger } from '../helpers/ingest-fixture';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { waitFor } from '../helpers/wait-for';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// 2026-11-27 12:00 in Shanghai: the look-back is 11-24 to 11-26.
const NOW = new Date('2026-11-27T04:00:00Z');

/**
 * A step added the way a new one is: one entry in the declaration and its handler. Nothing else is touched: the
 * daemon's sweep finds its slots, the order runs it after the steps it follows, job_runs guards it, /metrics counts it
 * and the architecture table shows it. (In the code base, the entry goes in jobs/pipeline.ts, the handler in a
 * jobs/<step>.job.ts with a line in jobs/handlers.ts, and `UPDATE_DOCS=1 npx jest pipeline-declaration` redraws
 * docs/architecture.md.)
 */
const noop: AnyStepSpec = {
  summary: 'notes that a day was reconciled (a step added by a test)',
  label: '试验',
  payload: z.object({ day: z.string() }),
  example: { day: '2026-11-26' },
  slot: (d: { day: string }) => d.day,
  follows: ['reconcile'],
  triggers: [],
  order: 'day',
  day: (d: { day: string }) => d.day,
  due: async (view) => view.lookback().map((day) => ({ day })),
  attempts: () => 1,
  runs: 'queue',
};
const ran: Array<{ day: string; at: number }> = [];
const handler: AnyStepHandler = async (_ctx, data: { day: string }) => {
  ran.push({ day: data.day, at: Date.now() });
  return { result: { noted: data.day } };
};
const extended: Pipeline = { steps: { ...STEPS, noop }, handlers: { ...(HANDLERS as unknown as Pipeline['handlers']), noop: handler } };

let db: TestDatabase;
let config: ReturnType<typeof writeTestConfig>;
const prefix = `duban-test-newstep-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  db = await createTestDatabase('newstep');
  config = writeTestConfig({ ingest: { schedule: '0 8 * * *', lagDays: 1, lookbackDays: 3, attempts: 1 }, sources: [{ name: 'demo', type: 'demo', seed: 5 }] });
});
afterAll(async () => {
  const r = new IORedis(REDIS_URL);
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  config.remove();
  await db.drop();
});

describe('a step added to the declaration', () => {
  it('is swept, ordered after what it follows, run once per slot, counted and documented', async () => {
    const daemon = await Daemon.start({
      configPath: config.file,
      env: { DATABASE_URL: db.url, REDIS_URL, DUBAN_QUEUE_PREFIX: prefix },
      logger: silentLogger,
      now: () => NOW,
      cron: false,
      ops: { port: 0 },
      pipeline: extended,
    });
    try {
      const runs = () => db.db.selectFrom('job_runs').select(['job', 'slot', 'status', 'started_at', 'finished_at']).execute();
      const all = await waitFor(runs, (r) => r.filter((x) => x.job === 'noop' && x.status === 'succeeded').length === 3, 60_000);
      expect(ran.map((r) => r.day).sort()).toEqual(['2026-11-24', '2026-11-25', '2026-11-26']);
      // Its work came after every reconciliation of the look-back: it follows `reconcile`, so it ranks after it (a
      // job taken off the queue early completes those first).
      const lastReconciled = Math.max(...all.filter((x) => x.job === 'reconcile').map((x) => x.finished_at!.getTime()));
      expect(all.filter((x) => x.job === 'reconcile')).toHaveLength(3);
      for (const r of ran) expect(r.at).toBeGreaterThanOrEqual(lastReconciled);
      // Once per slot: the sweep again finds nothing of it to do.
      expect((await daemon.backfill()).filter((id) => id.startsWith('noop-'))).toEqual([]);

      const metrics = await (await fetch(`http://127.0.0.1:${daemon.opsPort}/metrics`)).text();
      expect(metrics).toContain('duban_job_runs_total{job="noop",outcome="done"} 3');
      expect(describePipeline(extended.steps, daemon.app.config)).toContain('| `noop` | 试验 | notes that a day was reconciled (a step added by a test) | `noop-2026-11-26` | `reconcile` | — | day, rank 3 |');
    } finally {
      await daemon.stop();
    }
  });
});
