/**
 * `npm run bench:letters`: one week's 交办函 for 5,000 units composed by duban (problems read, letters numbered and
 * rendered, 待交办 problems assigned, ledger events and outbox rows written) and delivered by its relay (leases,
 * delivery records) to a local SMTP server, next to a bare nodemailer pool sending the same 5,000 finished messages to
 * the same server: like for like, the same pool options (src/delivery/mail-transport.ts smtpPoolOptions: 5
 * connections, Nagle off), the same base64 bodies, the same sink, which counts the connections each side opened. A
 * benchmark: it prints figures.
 *
 * Environment: BENCH_UNITS (default 5000), BENCH_ROUNDS (default 3), BENCH_ADMIN_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres), BENCH_KEEP_DB=1 to keep the last round's database. Each round builds
 * its database afresh (not timed).
 */
import { sql } from 'kysely';
import { median, minMedianMax } from './bench-stats';
import { admin, benchDatabaseUrl, secs } from './bench-admin';
import { sendRaw, startSink, warmUp } from './mail-sink';
import pino from 'pino';
import { loadConfig } from '../src/config/load-config';
import { createDatabase, DatabaseHandle } from '../src/db/database';
import { migrateToLatest } from '../src/db/migrator';
import { createMailTransport } from '../src/delivery/mail-transport';
import { LetterService } from '../src/services/letter.service';
import { OutboxRelay } from '../src/services/outbox-relay.service';
import { SummaryService } from '../src/services/summary.service';
import { EvaluationService } from '../src/services/evaluation.service';
import { ProblemService } from '../src/services/problem.service';
import { RulesService } from '../src/services/rules.service';
import { syncCatalogue } from '../src/services/catalogue-sync.service';
import { applyHeapPolicy } from '../src/heap-policy';

const UNITS = Number(process.env.BENCH_UNITS ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DB = 'duban_bench_letters';
const WEEK = '2026-W48';
const DATA_DAY = '2026-11-20';
const POOL = 5;
const TARGET = 0.7;
const silent = pino({ level: 'silent' });

async function main(): Promise<void> {
  applyHeapPolicy();
  const config = { ...loadConfig(), letters: { ...loadConfig().letters, summaryRecipients: ['director@bench.example'] } };
  const sink = await startSink();
  await warmUp(sink.url, config.delivery.from, POOL);
  const rounds: Array<{ duban: number; compose: number; raw: number; letters: number; assigned: number; dubanConnections: number; rawConnections: number }> = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const handle = await buildWeek(config);
      try {
        // duban: the week's letters and summary steps and the relay, as the daemon runs them.
        const transport = createMailTransport(sink.url, { maxConnections: POOL });
        const before = await sink.counts();
        const t = Date.now();
        const report = await new LetterService({ db: handle.db, config, logger: silent }).issueWeek(WEEK);
        await new SummaryService({ db: handle.db, config, logger: silent }).writeWeek(WEEK);
        const composeMs = Date.now() - t;
        const sent = await new OutboxRelay({ db: handle.db, transport, config, logger: silent }).processAll();
        const dubanMs = Date.now() - t;
        transport.close();
        if (sent.delivered !== report.letters + 1 || sent.failed + sent.retried > 0) throw new Error(`duban delivered ${JSON.stringify(sent)} for ${report.letters} letters`);
        const afterDuban = await sink.counts();

        // Raw: the same finished messages through a bare nodemailer pool with the same options, all handed over at
        // once, with the base64 bodies duban sends.
        const messages = await handle.db.selectFrom('outbox').select(['to_addresses', 'cc_addresses', 'subject', 'html', 'text', 'message_id']).orderBy('id').execute();
        const rawMs = await sendRaw(messages, sink.url, config.delivery.from, POOL);
        const afterRaw = await sink.counts();
        const round = {
          duban: dubanMs,
          compose: composeMs,
          raw: rawMs,
          letters: report.letters,
          assigned: report.assigned,
          dubanConnections: afterDuban.connections - before.connections,
          rawConnections: afterRaw.connections - afterDuban.connections,
        };
        rounds.push(round);
        console.log(
          `  round ${rounds.length}: duban ${secs(dubanMs)} (writing ${secs(composeMs)}, ${report.letters} letters, ${report.assigned} problems assigned, ${round.dubanConnections} connections), raw pool ${secs(rawMs)} (${messages.length} messages, ${round.rawConnections} connections)`,
        );
      } finally {
        await handle.close();
      }
    }
    const { accepted } = await sink.counts();
    const spread = (xs: number[]) => minMedianMax(xs, secs);
    const dubanMs = median(rounds.map((r) => r.duban));
    const rawMs = median(rounds.map((r) => r.raw));
    const letters = rounds[0]!.letters + 1;
    const ratio = rawMs / dubanMs;
    const relayMs = median(rounds.map((r) => r.duban - r.compose));
    const relayRatio = rawMs / relayMs;
    const rate = (ms: number) => `${(letters / (ms / 1000)).toFixed(0).padStart(6)} messages/s`;
    console.log('');
    console.log(`letters benchmark: ${UNITS.toLocaleString('en')} units, one week, pool of ${POOL} SMTP connections (Nagle off), base64 bodies both sides, ${ROUNDS} rounds, node ${process.version}`);
    console.log(`  the sink accepted ${accepted.toLocaleString('en')} messages in all; connections per round: duban ${rounds.map((r) => r.dubanConnections).join(', ')}, raw ${rounds.map((r) => r.rawConnections).join(', ')}`);
    console.log(`  duban compose + deliver   median ${secs(dubanMs).padStart(8)}  ${rate(dubanMs)}  min/median/max ${spread(rounds.map((r) => r.duban))}  (writing the letters ${spread(rounds.map((r) => r.compose))})`);
    console.log(`  raw nodemailer pool       median ${secs(rawMs).padStart(8)}  ${rate(rawMs)}  min/median/max ${spread(rounds.map((r) => r.raw))}`);
    console.log(`  duban relay alone         median ${secs(relayMs).padStart(8)}  ${rate(relayMs)}  min/median/max ${spread(rounds.map((r) => r.duban - r.compose))}`);
    console.log(`  ratio raw ÷ duban relay   ${relayRatio.toFixed(2).padStart(15)}  target ≥ ${TARGET}  ${relayRatio >= TARGET ? 'PASS' : 'MISS'}  (the same messages, pool, encoding and sink)`);
    console.log(`  ratio raw ÷ duban in all  ${ratio.toFixed(2).padStart(15)}  (writing the letters included)`);
    console.log(`  peak RSS of this process  ${(process.resourceUsage().maxRSS / 1024).toFixed(0).padStart(12)} MB`);
  } finally {
    sink.close();
    if (process.env.BENCH_KEEP_DB !== '1') await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
}

/**
 * 5,000 units each with a problem overdue since 11/16 and one new this week (with its anomaly), and a week of
 * indicator values for the table: what a Monday's letters are made from.
 */
async function buildWeek(config: ReturnType<typeof loadConfig>): Promise<DatabaseHandle> {
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB}`);
  const handle = createDatabase(benchDatabaseUrl(DB));
  const { db } = handle;
  await migrateToLatest(db);
  await syncCatalogue(db, config);
  await sql`INSERT INTO units (code, name, kind, parent_code, contacts)
            SELECT 'u' || g, '单位' || g, 'county', 'xuancheng', jsonb_build_array(jsonb_build_object('name', '联络员', 'email', 'u' || g || '@bench.example'))
            FROM generate_series(1, ${UNITS - config.units.length}) g`.execute(db);
  // Every series sits between its alert and benchmark values, except the two each unit is to be written to about.
  await sql`
    INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
    SELECT d::date, i.id, u.id,
           CASE WHEN d::date = ${DATA_DAY}::date AND i.code = 'zero_visit_ratio' THEN 80
                WHEN d::date = ${DATA_DAY}::date AND i.code = 'on_time_completion_rate' THEN 99.5
                ELSE round((i.alert_value + (coalesce(i.benchmark_value, 100) - i.alert_value) * random())::numeric, 2) END,
           0, 0
    FROM generate_series(${DATA_DAY}::date - 7, ${DATA_DAY}::date, '7 days') d CROSS JOIN indicators_on(${DATA_DAY}::date) i CROSS JOIN units u`.execute(db);
  await sql`VACUUM ANALYZE`.execute(db);
  await new RulesService(db).apply(config.rules.filter((r) => r.kind === 'threshold'), { by: 'bench', reason: 'bench', effectiveFrom: '2026-01-01' });
  await new EvaluationService({ db, config, logger: silent }).evaluateDay(DATA_DAY, { trigger: 'bench' });
  await new ProblemService({ db, config, logger: silent }).absorb(DATA_DAY);
  await sql`UPDATE problems SET state = 'assigned', assigned_on = '2026-11-09', deadline = '2026-11-16'
            WHERE indicator_id = (SELECT id FROM indicators WHERE code = 'on_time_completion_rate')`.execute(db);
  return handle;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
