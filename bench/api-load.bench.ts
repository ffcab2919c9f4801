/**
 * `npm run bench:api`: 50 concurrent clients against the HTTP API for 60 s on a demo-sized database (15 units, 11
 * indicators, four weeks of the demo source's values judged by the shipped rules), each a lead of one unit: it lists its
 * unit's problems, opens one, and every fourth round replies to one with a small evidence file. Printed per run: the
 * requests, their p50/p95/p99 latency, the errors (any 5xx, any network error, any answer other than the expected ones),
 * and afterwards the ledger's verification (no gap, no break). Next to it, the raw limit on the same data: the same
 * reads (the list and the problem with its story) called on the services directly by 50 concurrent loops, no HTTP, no
 * authentication, no JSON; the ratio says what the API layer costs. 3 runs each (min / median / max), peak RSS.
 *
 * Environment: BENCH_SECONDS (default 60), BENCH_CLIENTS (50), BENCH_ROUNDS (3), BENCH_ADMIN_URL, BENCH_KEEP_DB=1.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Registry } from 'prom-client';
import pino from 'pino';
import { API_PREFIX, buildApi } from '../src/api/api-server';
import { AppContext } from '../src/app-context';
import { dayRange } from '../src/domain/day';
import { PROJECT_ROOT } from '../src/project-root';
import { LedgerService } from '../src/services/ledger.service';
import { median, minMedianMax } from './bench-stats';
import { admin, benchDatabaseUrl } from './bench-admin';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DB = 'duban_bench_api';
const FIRST = '2026-10-26';
const LAST = '2026-11-20';
const NOW = new Date('2026-11-23T04:00:00Z');

interface RunResult {
  requests: number;
  errors: number;
  refused: number;
  latencies: number[];
  ms: number;
}

async function main(): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB}`);
  const logger = pino({ level: 'error' });
  const app = await AppContext.open({
    configPath: path.join(PROJECT_ROOT, 'config', 'duban.yaml'),
    env: { ...process.env, DATABASE_URL: benchDatabaseUrl(DB), LOG_LEVEL: 'warn' },
    prepare: true,
    logger,
    now: () => NOW,
  });
  try {
    const built = Date.now();
    await app.adoptInitialRules();
    for (const day of dayRange(FIRST, LAST)) await app.inlineRunner().run('ingest', { day, trigger: 'bench' });
    // Assigned, so that leads can reply.
    const open = await app.services.problemActions.list({ state: 'open' });
    for (const p of open) await app.services.problemActions.act(p.id, { type: 'assign' }, { actor: 'bench', on: LAST });
    const units = app.config.units.map((u) => u.code);
    const tokens = await Promise.all(units.map(async (u) => (await app.services.access.create({ person: `负责人-${u}`, role: 'lead', units: [u], expiresInDays: 1, by: 'bench' })).token));
    const problems = await app.services.problemActions.list({});
    console.log(`api load: ${problems.length} problems of ${units.length} units (${open.length} assigned for replies), data ${FIRST}..${LAST}, set up in ${((Date.now() - built) / 1000).toFixed(1)} s`);
    console.log(`${CLIENTS} clients × ${SECONDS} s, ${ROUNDS} rounds (min / median / max), node ${process.version}\n`);

    const http = await buildApi({ services: app.services, config: { ...app.config, api: { ...app.config.api, rateLimitPerMinute: 1_000_000 } }, logger, now: () => NOW, registry: new Registry() });
    await http.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}${API_PREFIX}`;
    const api: RunResult[] = [];
    const direct: RunResult[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        api.push(await overHttp(base, tokens));
        direct.push(await onServices(app, units));
        const a = api.at(-1)!;
        console.log(`  round ${round + 1}: API ${rate(a)} req/s (p95 ${pct(a.latencies, 0.95)} ms, ${a.errors} errors), services ${rate(direct.at(-1)!)} ops/s`);
      }
    } finally {
      await http.close();
    }

    const verify = await new LedgerService(app.database.db).verify();
    const seqs = await app.database.db.selectFrom('ledger_events').select(['seq']).orderBy('seq').execute();
    const gaps = seqs.filter((s, k) => s.seq !== k + 1).length;
    const spread = (xs: number[]) => minMedianMax(xs);
    console.log('');
    console.log(`  API requests per second                ${spread(api.map((r) => r.requests / (r.ms / 1000)))}`);
    console.log(`  API latency p50 (ms)                   ${spread(api.map((r) => pct(r.latencies, 0.5)))}`);
    console.log(`  API latency p95 (ms)                   ${spread(api.map((r) => pct(r.latencies, 0.95)))}`);
    console.log(`  API latency p99 (ms)                   ${spread(api.map((r) => pct(r.latencies, 0.99)))}`);
    console.log(`  API errors                             ${spread(api.map((r) => r.errors))}`);
    console.log(`  replies refused by the state machine   ${spread(api.map((r) => r.refused))}`);
    console.log(`  services directly, ops per second      ${spread(direct.map((r) => r.requests / (r.ms / 1000)))}`);
    console.log(`  ratio API ÷ services (same reads)      ${(median(api.map((r) => r.requests / r.ms)) / median(direct.map((r) => r.requests / r.ms))).toFixed(2)}`);
    console.log(`  ledger after the runs                  ${verify.checked} events, ${verify.broken ? `BROKEN at ${verify.broken.seq}` : 'chain intact'}, ${gaps} gaps`);
    console.log(`  peak RSS                               ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    if (api.some((r) => r.errors > 0) || verify.broken || gaps > 0) process.exitCode = 1;
  } finally {
    await app.close();
    if (process.env.BENCH_KEEP_DB !== '1') await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
}

/** Each client a unit's lead: list, open one, and every fourth round reply to one with a small evidence file. */
async function overHttp(base: string, tokens: string[]): Promise<RunResult> {
  const result: RunResult = { requests: 0, errors: 0, refused: 0, latencies: [], ms: 0 };
  const started = Date.now();
  const until = started + SECONDS * 1000;
  const evidence = [{ fileName: '整改报告.pdf', contentType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.4 bench').toString('base64') }];
  const timed = async (url: string, token: string, body?: object) => {
    const t = performance.now();
    try {
      const r = await fetch(`${base}${url}`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const json = (await r.json()) as Record<string, unknown>;
      result.latencies.push(performance.now() - t);
      result.requests++;
      if (r.status === 409) result.refused++;
      else if (r.status !== 200) result.errors++;
      return json;
    } catch {
      result.errors++;
      return {};
    }
  };
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const token = tokens[c % tokens.length]!;
      for (let k = 0; Date.now() < until; k++) {
        const listed = (await timed('/problems?limit=50', token)) as { problems?: Array<{ id: number; state: string }> };
        const mine = listed.problems ?? [];
        if (mine.length === 0) continue;
        const one = mine[k % mine.length]!;
        await timed(`/problems/${one.id}`, token);
        const live = mine.filter((p) => p.state === 'assigned' || p.state === 'pending_verification');
        if (k % 4 === 0 && live.length > 0) await timed(`/problems/${live[k % live.length]!.id}/respond`, token, { measures: `第 ${k} 轮整改`, evidence });
      }
    }),
  );
  result.ms = Date.now() - started;
  return result;
}

/** The raw limit: the same reads on the services, as many loops, for a tenth of the time (a rate is a rate). */
async function onServices(app: AppContext, units: string[]): Promise<RunResult> {
  const result: RunResult = { requests: 0, errors: 0, refused: 0, latencies: [], ms: 0 };
  const started = Date.now();
  const until = started + Math.max(5, SECONDS / 10) * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const unit = units[c % units.length]!;
      for (let k = 0; Date.now() < until; k++) {
        const mine = await app.services.problemActions.list({ withinUnits: [unit], limit: 50 });
        result.requests++;
        if (mine.length === 0) continue;
        const one = mine[k % mine.length]!;
        await Promise.all([app.services.problemActions.show(one.id), app.services.audit.describedEvents({ problem: one.id }), app.services.problemActions.evidence(one.id)]);
        result.requests++;
      }
    }),
  );
  result.ms = Date.now() - started;
  return result;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
}

function rate(r: RunResult): string {
  return (r.requests / (r.ms / 1000)).toFixed(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
