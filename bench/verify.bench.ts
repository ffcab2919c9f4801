/**
 * `npm run bench:verify`: `duban audit verify` over a ledger of 100,000 events (problems followed from discovery to
 * closing, and the ingest runs of two months of values), next to the raw limit on the same rows: the ledger streamed
 * out of PostgreSQL with COPY and every byte SHA-256 hashed once, which any verification must at least do. A
 * benchmark: it prints figures.
 *
 * Environment: BENCH_EVENTS (default 100000), BENCH_ROUNDS (default 3), BENCH_UNITS (units with values, default 500),
 * BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_KEEP_DB=1 to keep the database.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { to as copyTo } from 'pg-copy-streams';
import { loadConfig } from '../src/config/load-config';
import { createDatabase, DatabaseHandle } from '../src/db/database';
import { migrateToLatest } from '../src/db/migrator';
import { addDays } from '../src/domain/day';
import { signCheckpoint } from '../src/domain/ledger-checkpoint';
import { decide, openProblem, ProblemRules, ProblemStatus, DEFAULT_CLOSE_POLICY } from '../src/domain/problem-state';
import { DEFAULT_LADDER } from '../src/domain/problem-deadline';
import { WorkingCalendar } from '../src/domain/working-calendar';
import { ValuesDigestRepository } from '../src/repositories/values-digest.repository';
import { AuditService, auditHolds } from '../src/services/audit.service';
import { syncCatalogue } from '../src/services/catalogue-sync.service';
import { LedgerEntry, LedgerService } from '../src/services/ledger.service';
import { admin, benchDatabaseUrl, secs } from './bench-admin';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const UNITS = Number(process.env.BENCH_UNITS ?? 500);
const DAYS = 60;
const DB = 'duban_bench_verify';
const FIRST_DAY = '2026-09-01';

async function main(): Promise<void> {
  const config = loadConfig();
  const keys = generateKeyPairSync('ed25519');
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB}`);
  const handle = createDatabase(benchDatabaseUrl(DB));
  try {
    const built = await build(handle, config);
    const head = await handle.db.selectFrom('ledger_events').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    const checkpoints = [Math.floor(head.seq / 2), head.seq].map((n, k) =>
      signCheckpoint({ ledger: 'bench', events: n, head: n === head.seq ? head.hash : '', day: '2026-11-30', at: `2026-11-30T0${k}:00:00.000Z` }, keys.privateKey),
    );
    // The middle checkpoint signs the hash actually at its place.
    const mid = await handle.db.selectFrom('ledger_events').select('hash').where('seq', '=', checkpoints[0]!.events).executeTakeFirstOrThrow();
    checkpoints[0] = signCheckpoint({ ledger: 'bench', events: checkpoints[0]!.events, head: mid.hash, day: '2026-11-30', at: '2026-11-30T00:00:00.000Z' }, keys.privateKey);
    console.log(`built: ${head.seq.toLocaleString('en')} events (${built.problems.toLocaleString('en')} problems, ${built.runs} ingest runs), ${built.values.toLocaleString('en')} values of ${built.units} units`);

    const audit = new AuditService({ db: handle.db, pool: handle.pool, timezone: config.timezone });
    const rounds: Array<{ full: number; noValues: number; chain: number; raw: number; rawBytes: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating, so that drift in the machine's speed falls on both sides.
      let t = Date.now();
      const { bytes } = await rawHash(handle);
      const raw = Date.now() - t;
      t = Date.now();
      const report = await audit.verify({ checkpoints: { items: checkpoints, publicKey: keys.publicKey } });
      const full = Date.now() - t;
      if (!auditHolds(report) || report.chain.checked !== head.seq) throw new Error(`verify did not hold: ${JSON.stringify(report).slice(0, 500)}`);
      t = Date.now();
      await audit.verify({ checkpoints: { items: checkpoints, publicKey: keys.publicKey }, values: false });
      const noValues = Date.now() - t;
      t = Date.now();
      await new LedgerService(handle.db).verify();
      const chain = Date.now() - t;
      rounds.push({ full, noValues, chain, raw, rawBytes: bytes });
      console.log(`  round ${round + 1}: audit verify ${secs(full)} (without values ${secs(noValues)}; chain alone ${secs(chain)}), raw COPY + SHA-256 ${secs(raw)}`);
    }
    const stat = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return `${secs(s[0]!)} / ${secs(s[Math.floor(s.length / 2)]!)} / ${secs(s.at(-1)!)}`;
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log('');
    console.log(`verify benchmark: ${head.seq.toLocaleString('en')} events, ${built.values.toLocaleString('en')} values in ${built.runs} runs, ${ROUNDS} rounds (min / median / max), node ${process.version}`);
    console.log(`  duban audit verify (chain, 2 checkpoints, problems replayed, values)  ${stat(rounds.map((r) => r.full))}`);
    console.log(`  … without the values check (--no-values)                           ${stat(rounds.map((r) => r.noValues))}`);
    console.log(`  … the hash chain alone                                             ${stat(rounds.map((r) => r.chain))}`);
    console.log(`  raw: COPY the ledger out + SHA-256 of every byte (${(rounds[0]!.rawBytes / 1e6).toFixed(1)} MB)            ${stat(rounds.map((r) => r.raw))}`);
    console.log(`  ratio raw ÷ duban without values (same rows, same bytes)            ${(median(rounds.map((r) => r.raw)) / median(rounds.map((r) => r.noValues))).toFixed(2)}`);
    console.log(`  ratio raw ÷ duban full                                              ${(median(rounds.map((r) => r.raw)) / median(rounds.map((r) => r.full))).toFixed(2)}`);
    console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MB`);
  } finally {
    await handle.close();
    if (process.env.BENCH_KEEP_DB !== '1') await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
}

/** The floor: every ledger row out of PostgreSQL once (COPY text) and through SHA-256 once. */
async function rawHash(handle: DatabaseHandle): Promise<{ bytes: number }> {
  const client = await handle.pool.connect();
  try {
    const hash = createHash('sha256');
    let bytes = 0;
    await pipeline(
      client.query(copyTo('COPY (SELECT * FROM ledger_events ORDER BY seq) TO STDOUT')),
      new Writable({
        write(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          hash.update(chunk);
          done();
        },
      }),
    );
    hash.digest('hex');
    return { bytes };
  } finally {
    client.release();
  }
}

/**
 * The ledger of a busy deployment: two months of values for UNITS units (one ingest run a day, each fingerprinted in
 * the ledger), and problems followed by the daemon and the bureau from discovery through assignment, response, data
 * confirmation and sign-off to closing, six events each, until the ledger holds EVENTS events. The problems rows are
 * what `decide` stored, so the replay agrees with them.
 */
async function build(handle: DatabaseHandle, config: ReturnType<typeof loadConfig>) {
  const { db } = handle;
  await migrateToLatest(db);
  await syncCatalogue(db, config);
  await sql`INSERT INTO units (code, name, kind, parent_code) SELECT 'u' || g, '单位' || g, 'county', 'xuancheng' FROM generate_series(1, ${UNITS}) g`.execute(db);
  const ledger = new LedgerService(db);
  const client = await handle.pool.connect();
  const values = new ValuesDigestRepository(client);
  let runs = 0;
  for (let d = 0; d < DAYS; d++) {
    const day = addDays(FIRST_DAY, d);
    const run = await db.insertInto('ingest_runs').values({ day, source: 'bench', trigger: 'bench', status: 'succeeded', inputs: '[]' }).returning('id').executeTakeFirstOrThrow();
    await sql`INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
              SELECT ${day}::date, i.id, u.id, round((90 + 10 * random())::numeric, 2), ${run.id}, ${run.id} FROM indicators i CROSS JOIN units u`.execute(db);
    await client.query('BEGIN');
    const fingerprint = await values.ofRun({ runId: run.id, day });
    await client.query('COMMIT');
    await ledger.append([{ type: 'values_recorded', actor: 'duban', payload: { runId: run.id, day, source: 'bench', revised: 0, ...fingerprint } }]);
    runs++;
  }
  client.release();
  const rules: ProblemRules = { calendar: new WorkingCalendar(config.calendar), closePolicy: DEFAULT_CLOSE_POLICY, deadlines: config.problems.deadlines, ladder: DEFAULT_LADDER, reopenWithinWorkingDays: 20 };
  const units = (await db.selectFrom('units').select('id').orderBy('id').execute()).map((u) => u.id);
  const indicators = (await db.selectFrom('indicators').select('id').orderBy('id').execute()).map((i) => i.id);
  const perProblem = 6;
  const problems = Math.max(1, Math.floor((EVENTS - runs) / perProblem));
  for (let start = 0; start < problems; start += 2000) {
    const batch = Math.min(2000, problems - start);
    const statuses: ProblemStatus[] = [];
    const stories: Array<Array<Omit<LedgerEntry, 'problemId'>>> = [];
    for (let k = 0; k < batch; k++) {
      const day = addDays(FIRST_DAY, (start + k) % DAYS);
      const opened = openProblem({ kind: 'value', day, anomalyIds: [], ownerUnitId: units[0]! });
      let status: ProblemStatus = opened.status;
      const story: Array<Omit<LedgerEntry, 'problemId'>> = [{ ...opened.event, actor: 'duban' }];
      for (const [action, actor] of [
        [{ type: 'assign' as const, day: addDays(day, 1) }, '督查科'],
        [{ type: 'respond' as const, day: addDays(day, 3), measures: '已整改' }, '联络员'],
        [{ type: 'data_confirmed' as const, day: addDays(day, 6) }, 'duban'],
        [{ type: 'verify' as const, day: addDays(day, 7), by: '王核验' }, '王核验'],
        [{ type: 'close' as const, day: addDays(day, 7) }, '督查科'],
      ] as const) {
        const d = decide(status, 'simple', action, rules);
        status = d.status;
        story.push({ ...d.event, actor });
      }
      statuses.push(status);
      stories.push(story);
    }
    const ids = await db
      .insertInto('problems')
      .values(
        statuses.map((s, k) => ({
          indicator_id: indicators[(start + k) % indicators.length]!,
          unit_id: units[(start + k) % units.length]!,
          kind: 'value' as const,
          owner_unit_id: units[0]!,
          category: 'simple',
          severity: 'warning' as const,
          first_seen: addDays(FIRST_DAY, (start + k) % DAYS),
          last_seen: addDays(FIRST_DAY, (start + k) % DAYS),
          anomaly_count: 1,
          worst_value: null,
          first_value: null,
          latest_value: null,
          merged_into: null,
          state: s.state,
          data_confirmed: s.dataConfirmed,
          signed_off_by: s.signedOffBy,
          assigned_on: s.assignedOn,
          deadline: s.deadline,
          closed_on: s.closedOn,
          escalation: s.escalation,
          reopen_count: s.reopenCount,
          letter_id: null,
        })),
      )
      .returning('id')
      .execute();
    await ledger.append(stories.flatMap((story, k) => story.map((e) => ({ ...e, problemId: String(ids[k]!.id) }) as LedgerEntry)));
  }
  await sql`VACUUM ANALYZE`.execute(db);
  const stored = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM observations`.execute(db)).rows[0]!.n);
  return { problems, runs, values: stored, units: units.length };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
