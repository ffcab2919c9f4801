import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import IORedis from 'ioredis';
import { loadConfig } from '../../src/config/load-config';
import { Daemon } from '../../src/daemon';
import type { Db } from '../../src/db/database';
import { CsvSource } from '../../src/ingest/csv-source';
import { IngestService } from '../../src/services/ingest.service';
import { RulesService } from '../../src/services/rules.service';
import { syncCatalogue } from '../../src/services/catalogue-sync.service';
import { silentLogger } from '../helpers/ingest-fixture';
import { pipelineSnapshot } from '../helpers/pipeline-state';
import { duban } from '../helpers/run-cli';
import { tempDir } from '../helpers/temp-dir';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { waitFor } from '../helpers/wait-for';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Long after the days judged: no day of theirs is in any look-back, so only what the test starts runs. */
const NOW = new Date('2026-12-02T04:00:00Z');
const DAYS: Array<[day: string, rows: string[]]> = [
  ['2026-09-24', ['宁国市,按时办结率,99.5', '郎溪县,全程网办率,98', '广德市,好评率,99.9', '泾县,全程网办率,99.6']],
  ['2026-09-25', ['宁国市,按时办结率,100', '郎溪县,全程网办率,97.5', '广德市,好评率,96', '泾县,全程网办率,99.6']],
  ['2026-09-28', ['宁国市,按时办结率,100', '郎溪县,全程网办率,97', '广德市,好评率,99.9', '泾县,全程网办率,95']],
];

let dir: ReturnType<typeof tempDir>;
let config: ReturnType<typeof writeTestConfig>;
const dbs: TestDatabase[] = [];
const saved = { ...process.env };

/** A database with the same catalogue, rules and values (ingested, not yet judged), as both sides start from. */
async function prepared(label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(label);
  dbs.push(db);
  const shipped = loadConfig();
  await syncCatalogue(db.db, shipped);
  await new RulesService(db.db).apply(shipped.rules, { by: 'test', reason: '初始规则', effectiveFrom: '2026-09-01' });
  const ingest = new IngestService({ db: db.db, pool: db.pool, config: { ...shipped, sources: [] }, logger: silentLogger, now: () => NOW });
  for (const [day, rows] of DAYS) {
    const file = dir.file(`${day}.csv`);
    writeFileSync(file, ['单位,指标,数值', ...rows].join('\n'));
    const source = new CsvSource({ name: 'county-csv', path: file, pattern: '*', encoding: 'auto', delimiter: ',', percentScale: 'auto' });
    const [r] = await ingest.ingestDay(day, { trigger: 'test', sources: [source] });
    expect(r!.status).toBe('succeeded');
  }
  return db;
}

/** What the evaluate step and the steps it sets off leave behind, by natural keys. */
async function state(db: Db) {
  const snapshot = await pipelineSnapshot(db);
  const jobs = await db.selectFrom('job_runs').select(['job', 'slot', 'status', 'attempts']).orderBy('job').orderBy('slot').execute();
  return { ...snapshot, jobs: jobs.map((j) => `${j.job}-${j.slot} ${j.status} ${j.attempts}`) };
}

beforeAll(() => {
  dir = tempDir();
  // Live before the days judged: the daemon's alerts are not held back as a first start's would be.
  config = writeTestConfig({ ingest: { lookbackDays: 0 }, sources: [], delivery: { operatorEmail: 'operator@xuancheng.example.gov.cn', goLive: '2026-09-01' } });
});
afterAll(async () => {
  process.env = saved;
  for (const db of dbs) await db.drop();
  config.remove();
  dir.remove();
});

describe('a step run from the CLI and by the daemon', () => {
  it('`duban evaluate --day D` leaves exactly what the daemon’s evaluate step leaves: anomalies, problems, alerts, ledger, job_runs', async () => {
    const [cli, daemonDb] = await Promise.all([prepared('parity_cli'), prepared('parity_daemon')]);

    // The operator's way: the command, day by day.
    Object.assign(process.env, { DATABASE_URL: cli.url, LOG_LEVEL: 'silent', DUBAN_NOW: NOW.toISOString() });
    delete process.env.SMTP_URL;
    for (const [k, [day]] of DAYS.entries()) {
      const printed = await duban('--config', config.file, 'evaluate', '--day', day);
      expect(printed).toContain(`评估日期 ${day}`);
      expect(printed).toContain(`对账 ${day}`);
      expect(printed).toContain('重大异常督办通知：新写入');
      // 宁国市's overdue case on the first day is a major anomaly: its alert wakes the relay, here without SMTP.
      if (k === 0) expect(printed).toContain('未设置 SMTP_URL：邮件留在发件箱中');
    }

    // The daemon's way: the step queued in BullMQ and run by its worker, which queues what it sets off.
    const prefix = `duban-test-parity-${randomBytes(3).toString('hex')}`;
    const daemon = await Daemon.start({
      configPath: config.file,
      env: { DATABASE_URL: daemonDb.url, REDIS_URL, DUBAN_QUEUE_PREFIX: prefix },
      logger: silentLogger,
      now: () => NOW,
      cron: false,
    });
    try {
      // At start the week's letters were due (there were no problems yet: none written); then the days, in turn.
      await waitFor(() => daemonDb.db.selectFrom('job_runs').select('job').where('job', '=', 'summary').where('status', '=', 'succeeded').execute(), (r) => r.length === 1);
      expect(await daemonDb.db.selectFrom('letters').select('id').execute()).toEqual([]);
      for (const [k, [day]] of DAYS.entries()) {
        const slot = `${day}-r${k + 1}`;
        await daemon.enqueue('evaluate', { day, afterRun: k + 1 });
        await waitFor(
          () => daemonDb.db.selectFrom('job_runs').select(['job', 'status']).where('slot', 'in', [slot, `alerts-${slot}`]).execute(),
          (r) => r.filter((x) => x.status === 'succeeded').length >= 3 && r.every((x) => x.status === 'succeeded'),
        );
        await waitFor(() => daemon.queue.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'), (c) => Object.values(c).every((n) => n === 0));
      }
    } finally {
      await daemon.queue.queue.obliterate({ force: true });
      await daemon.stop();
      const r = new IORedis(REDIS_URL);
      const keys = await r.keys(`${prefix}:*`);
      if (keys.length) await r.del(...keys);
      r.disconnect();
    }

    const [fromCli, fromDaemon] = await Promise.all([state(cli.db), state(daemonDb.db)]);
    // Both sides judged something worth comparing: problems, a major anomaly's alert, its ledger events.
    expect(fromCli.problems.length).toBeGreaterThan(2);
    expect(fromCli.outbox.some((m) => m.startsWith('alert|'))).toBe(true);
    expect(fromCli.jobs.filter((j) => j.startsWith('evaluate-'))).toHaveLength(DAYS.length);
    expect(fromCli.jobs.some((j) => j.startsWith('deliver-alerts-'))).toBe(true);
    // The daemon's start also ran the week's (empty) letters, summary and their wake-up: not the evaluate step's doing.
    const ofEvaluate = (jobs: string[]) => jobs.filter((j) => !/^(letters|summary|deliver-letters)-/.test(j));
    expect({ ...fromDaemon, jobs: ofEvaluate(fromDaemon.jobs) }).toEqual(fromCli);
  });
});
