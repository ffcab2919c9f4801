import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { addDays, dayRange } from '../../src/domain/day';
import { isoWeekOf } from '../../src/domain/iso-week';
import { DaemonProcess, startDaemonProcess } from '../helpers/daemon-process';
import { pipelineDone } from '../helpers/pipeline-state';
import { LocalRedisCluster, startRedisCluster } from '../helpers/redis-cluster';
import { startSmtpSink, SmtpSink } from '../helpers/smtp-sink';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { waitFor } from '../helpers/wait-for';

const LOOKBACK = 3;
/** Monday 2026-11-23 to Thursday 11-26, a day at a time, with the week's letters on the Monday. */
const DAYS = dayRange('2026-11-23', '2026-11-26');

let cluster: LocalRedisCluster | undefined;
let db: TestDatabase | undefined;
let sink: SmtpSink | undefined;
// The hash tag puts every key of the queue in one slot of the cluster.
const prefix = `{duban-test-cluster-${randomBytes(3).toString('hex')}}`;
const config = writeTestConfig({
  ingest: { schedule: '0 8 * * *', lagDays: 1, lookbackDays: LOOKBACK, attempts: 2 },
  sources: [{ name: 'demo', type: 'demo', seed: 11 }],
  delivery: { operatorEmail: 'operator@xuancheng.example.gov.cn', goLive: DAYS[0] },
  letters: { summaryRecipients: ['director@xuancheng.example.gov.cn'] },
});
let daemons: DaemonProcess[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  db = await createTestDatabase('cluster');
  sink = await startSmtpSink();
}, 60_000);

afterAll(async () => {
  // Each step whatever the one before did: the cluster's processes and folder go in any case.
  try {
    await Promise.all(daemons.map((d) => d.stop()));
  } finally {
    try {
      await sink?.close();
      config.remove();
      await db?.drop();
    } finally {
      await cluster?.stop();
    }
  }
}, 60_000);

describe('two daemons on a Redis Cluster of three masters', () => {
  it('run every (job, slot) of four simulated days exactly once, with the whole queue in one hash slot', async () => {
    const { nodes, ports } = cluster!;
    const started: string[][] = [];
    for (const [i, day] of DAYS.entries()) {
      // REDIS_URL points at nothing: with REDIS_CLUSTER_NODES set, the daemons must not use it.
      const env = { DATABASE_URL: db!.url, REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER_NODES: nodes, DUBAN_QUEUE_PREFIX: prefix, SMTP_URL: sink!.url, DUBAN_NOW: `${day}T12:00:00+08:00` };
      daemons = [0, 1].map(() => startDaemonProcess(config.file, env));
      const opsPorts = await Promise.all(daemons.map((d) => d.started));
      started.push(daemons.map((d) => String(d.child.pid)));
      if (i === 0) {
        // Readiness asks the node that serves the queue's slot.
        const ready = (await (await fetch(`http://127.0.0.1:${opsPorts[0]}/readyz`)).json()) as { checks: { redis: { status: string } } };
        expect(ready.checks.redis.status).toBe('ok');
      }
      const window = dayRange(addDays(day, -LOOKBACK), addDays(day, -1));
      await waitFor(() => pipelineDone(db!.db, window, isoWeekOf(day), LOOKBACK), (s) => s.done, 60_000);
      expect(await Promise.all(daemons.map((d) => d.stop()))).toEqual([0, 1].map(() => ({ code: 0, signal: null })));
    }

    const all = await db!.db.selectFrom('job_runs').select(['job', 'slot', 'status', 'attempts', 'worker']).execute();
    const ingested = all.filter((x) => x.job === 'ingest').map((x) => x.slot).sort();
    expect(ingested).toEqual(dayRange(addDays(DAYS[0]!, -LOOKBACK), addDays(DAYS.at(-1)!, -1)));
    expect(all.filter((x) => x.job === 'evaluate').length).toBeGreaterThanOrEqual(ingested.length);
    expect(all.filter((x) => x.job === 'reconcile').length).toBeGreaterThanOrEqual(ingested.length);
    expect(all.filter((x) => x.job === 'letters').map((x) => x.slot)).toEqual([isoWeekOf(DAYS[0]!)]);
    expect(all.filter((x) => x.job === 'summary').map((x) => x.slot)).toEqual([isoWeekOf(DAYS[0]!)]);
    // Each slot ran once, by one of the processes then up, and the two processes of a day did share the work.
    expect(all.filter((x) => x.status !== 'succeeded' || x.attempts !== 1)).toEqual([]);
    const workers = new Set(all.map((x) => x.worker.replace(/^.*-/, '')));
    expect([...workers].every((pid) => started.flat().includes(pid))).toBe(true);
    expect(workers.size).toBeGreaterThan(DAYS.length);

    const letters = await db!.db.selectFrom('letters').select(['unit_id', 'week']).execute();
    expect(letters.length).toBeGreaterThan(0);
    expect(new Set(letters.map((l) => l.unit_id)).size).toBe(letters.length);
    const ids = sink!.received.map((m) => m.messageId);
    expect(ids.filter((id) => id?.startsWith('<letter-'))).toHaveLength(letters.length);
    expect(new Set(ids).size).toBe(ids.length);

    // The queue is in the cluster (REDIS_URL led nowhere), every key of it in the one slot of the prefix's hash tag,
    // and so on one master. KEYS per node is the test's look, not something duban does.
    const perNode = await Promise.all(
      ports.map(async (port) => {
        const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
        try {
          await node.connect();
          const keys = await node.keys(`${prefix}*`);
          const slots = await Promise.all(keys.map((k) => node.call('CLUSTER', 'KEYSLOT', k) as Promise<number>));
          return { port, keys, slots: new Set(slots) };
        } finally {
          node.disconnect();
        }
      }),
    );
    const holding = perNode.filter((n) => n.keys.length > 0);
    expect(holding).toHaveLength(1);
    expect(holding[0]!.keys.some((k) => k.startsWith(`${prefix}:duban:`))).toBe(true);
    expect(holding[0]!.slots.size).toBe(1);
  }, 120_000);
});
