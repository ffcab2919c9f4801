import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config/load-config';
import { generateSigningKeys } from '../../src/config/signing-key';
import type { Db } from '../../src/db/database';
import { canonicalJson } from '../../src/domain/canonical-json';
import { chainHash, ChainedEvent } from '../../src/domain/ledger-chain';
import { CsvSource } from '../../src/ingest/csv-source';
import { syncCatalogue } from '../../src/services/catalogue-sync.service';
import { IngestService } from '../../src/services/ingest.service';
import { LedgerService } from '../../src/services/ledger.service';
import { RulesService } from '../../src/services/rules.service';
import { startDaemonProcess } from '../helpers/daemon-process';
import { silentLogger } from '../helpers/ingest-fixture';
import { duban } from '../helpers/run-cli';
import { tempDir } from '../helpers/temp-dir';
import { writeTestConfig } from '../helpers/test-config';
import { cloneTestDatabase, createTestDatabase, dropTestDatabase, TestDatabase } from '../helpers/test-database';

/**
 * The 台账 attacked, one attack per test, each on its own copy of the same ledger: as the app role (what the daemon's
 * credentials allow, which must not include rewriting history) and as a superuser (who can do anything to the
 * database, and must still be caught by `audit verify` against checkpoints kept outside it).
 */

const NOW = new Date('2026-12-02T04:00:00Z');
const DAYS: Array<[day: string, rows: string[]]> = [
  ['2026-09-24', ['宁国市,按时办结率,99.5', '郎溪县,全程网办率,98', '广德市,好评率,99.9', '泾县,全程网办率,99.6']],
  ['2026-09-25', ['宁国市,按时办结率,100', '郎溪县,全程网办率,97.5', '广德市,好评率,96', '泾县,全程网办率,99.6']],
  ['2026-09-28', ['宁国市,按时办结率,100', '郎溪县,全程网办率,97', '广德市,好评率,99.9', '泾县,全程网办率,95']],
];

const dir = tempDir('duban-attacks-');
const keys = generateSigningKeys(dir.file('keys'));
const checkpointDir = dir.file('checkpoints');
const checkpointFile = path.join(checkpointDir, 'checkpoints.jsonl');
const config = writeTestConfig({
  ingest: { lookbackDays: 0 },
  sources: [],
  audit: { checkpoints: { dir: checkpointDir, publicKey: keys.publicFile, recipients: ['audit@xuancheng.example.gov.cn'] } },
});
const saved = { ...process.env };

/** The untouched ledger every attack starts from: its name (a template), and what it holds. */
let template: string;
let events: number;
let midCheckpoint: number;
/** The problem that was assigned, answered and signed off by 王核验. */
let signed: number;
/** The first day's ingest run, and the run that revised one of its values. */
let firstRun: number;
let fixRun: number;

beforeAll(async () => {
  const base = await createTestDatabase('attacks');
  template = base.name;
  const shipped = loadConfig();
  await syncCatalogue(base.db, shipped);
  await new RulesService(base.db).apply(shipped.rules, { by: '张三', reason: '初始规则', effectiveFrom: '2026-09-01' });
  const ingest = new IngestService({ db: base.db, pool: base.pool, config: { ...shipped, sources: [] }, logger: silentLogger, now: () => NOW });
  const csv = (day: string, rows: string[], name: string) => {
    const file = dir.file(`${name}.csv`);
    writeFileSync(file, ['单位,指标,数值', ...rows].join('\n'));
    return new CsvSource({ name: 'county-csv', path: file, pattern: '*', encoding: 'auto', delimiter: ',', percentScale: 'auto' });
  };
  for (const [day, rows] of DAYS) {
    const [r] = await ingest.ingestDay(day, { trigger: 'test', sources: [csv(day, rows, day)] });
    expect(r!.status).toBe('succeeded');
    if (day === DAYS[0]![0]) firstRun = r!.runId;
  }
  // A correction of the first day: one value revised, by a run of its own.
  const [fix] = await ingest.ingestDay(DAYS[0]![0], { trigger: 'test', sources: [csv(DAYS[0]![0], ['宁国市,按时办结率,99.7'], 'fix')] });
  expect(fix).toMatchObject({ status: 'succeeded', revised: 1 });
  fixRun = fix!.runId;

  Object.assign(process.env, { DATABASE_URL: base.url, LOG_LEVEL: 'silent', DUBAN_NOW: NOW.toISOString(), DUBAN_CHECKPOINT_KEY_FILE: keys.privateFile });
  delete process.env.SMTP_URL;
  delete process.env.MIGRATION_DATABASE_URL;
  for (const [day] of DAYS.slice(0, 2)) await duban('--config', config.file, 'evaluate', '--day', day);
  expect(await duban('--config', config.file, 'audit', 'checkpoint', '--by', '审计员')).toContain('已生成台账检查点');
  midCheckpoint = await count(base.db);
  await duban('--config', config.file, 'evaluate', '--day', DAYS[2]![0]);
  const open = await base.db.selectFrom('problems').select('id').where('state', '=', 'open').orderBy('id').execute();
  for (const p of open) await duban('--config', config.file, 'problems', 'assign', String(p.id), '--by', '督查科');
  signed = open.find(Boolean)!.id;
  await duban('--config', config.file, 'problems', 'respond', String(signed), '--measures', '已增派窗口人员', '--by', '郎溪县联络员');
  await duban('--config', config.file, 'problems', 'verify', String(signed), '--by', '王核验');
  await duban('--config', config.file, 'audit', 'checkpoint', '--by', '审计员');
  events = await count(base.db);
  expect(midCheckpoint).toBeGreaterThan(10);
  expect(open.length).toBeGreaterThan(2);
  expect(events).toBeGreaterThan(midCheckpoint + 5);
  // A template must have no one connected to it.
  await base.close();
}, 120_000);

afterAll(async () => {
  process.env = saved;
  await dropTestDatabase(template);
  config.remove();
  dir.remove();
});

async function count(db: Db): Promise<number> {
  return Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ledger_events`.execute(db)).rows[0]!.n);
}

/** `duban audit verify --checkpoints <the file>` on a copy of the ledger after `attack`, as an auditor runs it. */
async function verifyAfter(label: string, attack: (copy: TestDatabase) => Promise<void>): Promise<{ printed: string; exitCode: number }> {
  const copy = await cloneTestDatabase(template, label);
  try {
    await attack(copy);
    process.env.DATABASE_URL = copy.url;
    const printed = await duban('--config', config.file, 'audit', 'verify', '--checkpoints', checkpointFile, '--public-key', keys.publicFile);
    return { printed, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = 0;
    await copy.drop();
  }
}

/** As a superuser: triggers off for the session (session_replication_role), so the ledger's guard does not fire. */
async function asSuperuser(copy: TestDatabase, fn: (tx: Db) => Promise<void>): Promise<void> {
  await copy.admin().db.transaction().execute(async (tx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(tx);
    await fn(tx);
  });
}

/** Rewrites an event and recomputes every later hash, so the chain verifies again on its own. */
async function rewriteAndRehash(tx: Db, seq: number, change: (e: ChainedEvent) => ChainedEvent): Promise<void> {
  const all: ChainedEvent[] = [];
  for await (const page of new LedgerService(tx).pages()) all.push(...page);
  let prev = all[seq - 2]!.hash;
  for (const e of all.slice(seq - 1)) {
    const { prevHash: _p, hash: _h, ...content } = Number(e.seq) === seq ? change(e) : e;
    const hash = chainHash(prev, content);
    await sql`UPDATE ledger_events SET payload = ${canonicalJson(content.payload)}::jsonb, actor = ${content.actor}, prev_hash = ${prev}, hash = ${hash}
              WHERE seq = ${e.seq}::bigint`.execute(tx);
    prev = hash;
  }
}

describe('the 台账 attacked', () => {
  it('untouched, verifies clean against both checkpoints: chain, checkpoints, problems replayed, values fingerprinted', async () => {
    const { printed, exitCode } = await verifyAfter('untouched', async () => undefined);
    expect(printed).toContain(`哈希链：台账完整：${events} 条事件，哈希链逐条核验一致。`);
    expect(printed).toContain('检查点：2 个，签名有效，均与台账一致');
    expect(printed).toMatch(/问题表：按台账事件重演 \d+ 个问题，与问题表逐项一致。/);
    expect(printed).toContain('采集数值：4 次采集的数值与台账记载的指纹一致。');
    expect(printed).toContain('结论：台账可信。');
    expect(exitCode).toBe(0);
  });

  it('as the app role, the daemon’s own credentials: no rewriting, deleting, truncating, altering or disabling, no way around', async () => {
    const copy = await cloneTestDatabase(template, 'approle');
    try {
      const app = copy.db;
      const refused: Array<[statement: ReturnType<typeof sql>, error: RegExp]> = [
        [sql`UPDATE ledger_events SET actor = '张三' WHERE seq = 10`, /permission denied for table ledger_events/],
        [sql`DELETE FROM ledger_events WHERE seq = ${events}`, /permission denied for table ledger_events/],
        [sql`TRUNCATE ledger_events`, /permission denied for table ledger_events/],
        [sql`ALTER TABLE ledger_events DISABLE TRIGGER ledger_events_append_only`, /must be owner of table ledger_events/],
        [sql`ALTER TABLE ledger_events ALTER COLUMN hash DROP NOT NULL`, /must be owner of table ledger_events/],
        [sql`DROP TRIGGER ledger_events_append_only ON ledger_events`, /must be owner of (table|relation) ledger_events/],
        [sql`CREATE OR REPLACE FUNCTION duban_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`, /must be owner of function duban_refuse_change|permission denied for schema public/],
        [sql`DROP TABLE ledger_events`, /must be owner of table ledger_events/],
        [sql`UPDATE observations SET value = 0`, /permission denied for table observations/],
        [sql`DELETE FROM observations`, /permission denied for table observations/],
        [sql`UPDATE observation_revisions SET new_value = 0`, /permission denied for table observation_revisions/],
        [sql`DELETE FROM ledger_checkpoints`, /permission denied for table ledger_checkpoints/],
        [sql`UPDATE rule_versions SET reason = '改写'`, /permission denied for table rule_versions/],
        [sql`CREATE TABLE ledger_shadow (seq bigint)`, /permission denied for schema public/],
        [sql`SET ROLE duban_test_owner`, /permission denied to set role/],
        [sql`SET session_replication_role = replica`, /permission denied to set parameter/],
        // A revision is the only way to change a value, and it must follow the stored value and run.
        [
          sql`INSERT INTO observation_revisions (day, indicator_id, unit_id, old_value, new_value, run_id, old_run_id)
              SELECT day, indicator_id, unit_id, value + 1, 50, ${fixRun}, run_id FROM observations WHERE day = '2026-09-24' AND run_id = ${firstRun} LIMIT 1`,
          /修订与现存数值或其批次不符/,
        ],
      ];
      for (const [statement, error] of refused) await expect(statement.execute(app)).rejects.toThrow(error);
      expect(await count(app)).toBe(events);
    } finally {
      await copy.drop();
    }
  });

  it('as a superuser, rewriting one event and rehashing the rest: the chain holds, the checkpoint at the head does not', async () => {
    // The sign-off rewritten to another checker, in the ledger and the problems table alike: a coherent forgery.
    const { printed, exitCode } = await verifyAfter('rehash', (copy) =>
      asSuperuser(copy, async (tx) => {
        const e = await tx.selectFrom('ledger_events').select('seq').where('type', '=', 'problem_verified').executeTakeFirstOrThrow();
        await rewriteAndRehash(tx, e.seq, (x) => ({ ...x, payload: { ...(x.payload as object), by: '张三' } }));
        await sql`UPDATE problems SET signed_off_by = '张三' WHERE id = ${signed}`.execute(tx);
      }),
    );
    expect(printed).toContain(`哈希链：台账完整：${events} 条事件`);
    expect(printed).toMatch(/问题表：按台账事件重演 \d+ 个问题，与问题表逐项一致。/);
    expect(printed).toContain(`检查点：2 个中有 1 个与台账不再相符。`);
    expect(printed).toContain(`记载 ${events} 条事件）不再相符：第 ${events} 号事件的哈希应为`);
    // The earlier checkpoint still holds, so the change lies after it.
    expect(printed).toContain(`第 ${midCheckpoint + 1} 至第 ${events} 号事件之间有事件被改写、删除或插入，并重算了其后的哈希`);
    expect(exitCode).toBe(2);
  });

  it('as a superuser, deleting the last event', async () => {
    const { printed, exitCode } = await verifyAfter('last', (copy) => asSuperuser(copy, (tx) => sql`DELETE FROM ledger_events WHERE seq = ${events}`.execute(tx).then(() => undefined)));
    expect(printed).toContain(`哈希链：台账完整：${events - 1} 条事件`);
    expect(printed).toContain(`不再相符：台账现只有 ${events - 1} 条事件，第 ${events} 号事件被删除`);
    expect(exitCode).toBe(2);
  });

  it('as a superuser, deleting the last five events', async () => {
    const { printed, exitCode } = await verifyAfter('last5', (copy) => asSuperuser(copy, (tx) => sql`DELETE FROM ledger_events WHERE seq > ${events - 5}`.execute(tx).then(() => undefined)));
    expect(printed).toContain(`不再相符：台账现只有 ${events - 5} 条事件，第 ${events - 4} 至第 ${events} 号事件被删除`);
    expect(exitCode).toBe(2);
  });

  it('as a superuser, emptying the table', async () => {
    const { printed, exitCode } = await verifyAfter('empty', (copy) => asSuperuser(copy, (tx) => sql`TRUNCATE ledger_events`.execute(tx).then(() => undefined)));
    expect(printed).toContain('哈希链：台账完整：0 条事件');
    expect(printed).toContain(`检查点：2 个中有 2 个与台账不再相符。第一个：`);
    expect(printed).toContain(`台账现有 0 条事件，全部 ${midCheckpoint} 条事件被删除或清空`);
    // The problems and values that the ledger no longer accounts for are named too.
    expect(printed).toContain(`问题 ${signed} 在问题表中存在，台账中却没有它的任何记录`);
    expect(printed).toContain(`第 ${firstRun} 次采集（2026-09-24）的数值在台账中没有入库记录`);
    expect(exitCode).toBe(2);
  });

  it('as a superuser, editing a problems row: verify names the problem and each field, and the 台账 export refuses', async () => {
    const copy = await cloneTestDatabase(template, 'problemrow');
    try {
      await copy.admin().db.updateTable('problems').set({ state: 'closed', signed_off_by: '张三', closed_on: '2026-10-09' }).where('id', '=', signed).execute();
      process.env.DATABASE_URL = copy.url;
      const printed = await duban('--config', config.file, 'audit', 'verify', '--checkpoints', checkpointFile);
      expect(printed).toContain('检查点：2 个，签名有效，均与台账一致');
      expect(printed).toContain('问题表：与台账不一致 3 处：');
      expect(printed).toContain(`问题 ${signed} 的状态：台账记载为“待核验”，问题表中为“已销号”`);
      expect(printed).toContain(`问题 ${signed} 的核验人：台账记载为“王核验”，问题表中为“张三”`);
      expect(printed).toContain(`问题 ${signed} 的销号日期：台账记载为“（空）”，问题表中为“2026-10-09”`);
      expect(process.exitCode).toBe(2);
      process.exitCode = 0;
      await expect(duban('--config', config.file, 'audit', 'ledger', '--format', 'csv', '--out', dir.file('台账.csv'))).rejects.toThrow(
        `问题表与台账不一致，拒绝导出台账（共 3 处）：问题 ${signed} 的状态：台账记载为“待核验”，问题表中为“已销号”`,
      );
    } finally {
      process.exitCode = 0;
      await copy.drop();
    }
  });

  it('as a superuser, editing an observation behind the revisions: the run whose value it was is named', async () => {
    const { printed, exitCode } = await verifyAfter('observation', (copy) =>
      asSuperuser(copy, (tx) =>
        sql`UPDATE observations SET value = 99.9 WHERE day = '2026-09-28' AND unit_id = (SELECT id FROM units WHERE name = '泾县')`.execute(tx).then(() => undefined),
      ),
    );
    expect(printed).toContain('检查点：2 个，签名有效，均与台账一致');
    expect(printed).toMatch(/采集数值：1 次采集与台账不符：\n {2}第 \d+ 次采集（2026-09-28，数据源 county-csv）的数值与台账记载不符：入库时 4 个数值/);
    expect(exitCode).toBe(2);
  });

  it('as the app role, revisions of its own making: refused across days and within a run, named when under another run', async () => {
    let madeUp = 0;
    const { printed, exitCode } = await verifyAfter('revision', async (copy) => {
      const revise = (run: ReturnType<typeof sql>, day: string, unit: string) =>
        sql`INSERT INTO observation_revisions (day, indicator_id, unit_id, old_value, new_value, run_id, old_run_id)
            SELECT day, indicator_id, unit_id, value, 100, ${run}, run_id FROM observations
            WHERE day = ${day}::date AND unit_id = (SELECT id FROM units WHERE name = ${unit})`.execute(copy.db);
      // Under another day's run, or the very run that wrote the value: the owner's trigger refuses it.
      await expect(revise(sql`${firstRun}::bigint`, '2026-09-28', '泾县')).rejects.toThrow(/修订只能由同一天的另一采集批次作出/);
      await expect(revise(sql`${firstRun}::bigint`, '2026-09-24', '广德市')).rejects.toThrow(/修订只能由同一天的另一采集批次作出/);
      // Under the day's other run (the correction): taken, and that run's values no longer match what it recorded.
      await revise(sql`${fixRun}::bigint`, '2026-09-24', '广德市');
      // Under a run made up for it: taken, and its values were never recorded.
      madeUp = (await copy.db.insertInto('ingest_runs').values({ day: '2026-09-28', source: 'county-csv', trigger: 'test', status: 'succeeded', inputs: '[]' }).returning('id').executeTakeFirstOrThrow()).id;
      await revise(sql`${madeUp}::bigint`, '2026-09-28', '泾县');
    });
    expect(printed).toContain('采集数值：2 次采集与台账不符：');
    expect(printed).toMatch(new RegExp(`第 ${fixRun} 次采集（2026-09-24，数据源 county-csv）的数值与台账记载不符：入库时 1 个数值（指纹 [0-9a-f]{16}…），现为 2 个`));
    expect(printed).toContain(`第 ${madeUp} 次采集（2026-09-28）的数值在台账中没有入库记录`);
    expect(exitCode).toBe(2);
  });

  it('as a superuser, values slipped in under a run of another day: named as values the ledger never recorded', async () => {
    const { printed, exitCode } = await verifyAfter('slipped', (copy) =>
      asSuperuser(copy, (tx) =>
        sql`UPDATE observations SET run_id = ${firstRun}, value = 100 WHERE day = '2026-09-28' AND unit_id = (SELECT id FROM units WHERE name = '泾县')`
          .execute(tx)
          .then(() => undefined),
      ),
    );
    expect(printed).toContain(`第 ${firstRun} 次采集（2026-09-28）的数值在台账中没有入库记录`);
    expect(exitCode).toBe(2);
  });

  it('refuses to start the daemon as the owner role or a superuser without --allow-owner, saying why in Chinese', async () => {
    const copy = await cloneTestDatabase(template, 'owner');
    try {
      const env = { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', DUBAN_QUEUE_PREFIX: `duban-test-owner-${process.pid}`, DUBAN_CHECKPOINT_KEY_FILE: keys.privateFile, DUBAN_NOW: NOW.toISOString() };
      const asOwner = startDaemonProcess(config.file, { ...env, DATABASE_URL: copy.ownerUrl });
      expect((await asOwner.exited).code).toBe(1);
      expect(asOwner.stderr()).toContain('拒绝启动：数据库角色 duban_test_owner 是台账表的所有者，可以停用其触发器、改写或清空台账。守护进程须以只有应用权限的数据库角色运行');
      const asSuperuser = startDaemonProcess(config.file, { ...env, DATABASE_URL: copy.adminUrl });
      expect((await asSuperuser.exited).code).toBe(1);
      expect(asSuperuser.stderr()).toMatch(/拒绝启动：数据库角色 \S+ 是超级用户，可以改写、删除台账/);
      // Without the signing key its checkpoints need, it does not start either.
      const keyless = startDaemonProcess(config.file, { ...env, DUBAN_CHECKPOINT_KEY_FILE: undefined, DATABASE_URL: copy.url });
      expect((await keyless.exited).code).toBe(1);
      expect(keyless.stderr()).toContain('配置了台账检查点（audit.checkpoints），但没有签名私钥');
      // The flag is the deliberate exception, for a one-role development database.
      const allowed = startDaemonProcess(config.file, { ...env, DATABASE_URL: copy.ownerUrl }, ['--allow-owner']);
      await allowed.started;
      expect(await allowed.stop()).toEqual({ code: 0, signal: null });
    } finally {
      await copy.drop();
    }
  });
});
