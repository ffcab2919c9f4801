import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { buildProgram } from '../../src/cli/main';
import { writeTestConfig } from '../helpers/test-config';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';

/**
 * The corpus of inputs a county office can produce (test/fixtures/bad-inputs, made by its generate.js), each taken in
 * with `duban ingest --day D --file F` on an empty day, against its row of expectations.json. For every file:
 * - every cell is accounted for: cells seen = kept + rejected + ignored, and each count is the expected one;
 * - the rejects by reason, the ignored columns (and the indicator a slip probably meant) are the expected ones;
 * - the values stored for the day are exactly the expected ones: no good value of a row not rejected is lost;
 * - no run is left `running`, and nothing printed holds a stack trace or a raw PostgreSQL message.
 */
interface Expectation {
  exit: number;
  day?: string;
  cells: number;
  kept: number;
  duplicates: number;
  rejected: Record<string, number>;
  ignored: string[];
  suggestions?: Record<string, string>;
  error?: string;
  values: Record<string, string>;
}

const DIR = path.join(__dirname, '..', 'fixtures', 'bad-inputs');
const expectations = JSON.parse(readFileSync(path.join(DIR, 'expectations.json'), 'utf8')) as Record<string, Expectation>;
const DAY = '2026-11-26';
/** What a user must never be shown: a stack frame, or PostgreSQL speaking for itself. */
const RAW = /\n\s+at |invalid byte sequence|violates|syntax error|numeric field overflow|value overflows|relation ".*" does not exist|TypeError|RangeError|ECONN/;

let db: TestDatabase;
let config: ReturnType<typeof writeTestConfig>;
const saved = { ...process.env };

beforeAll(async () => {
  db = await createTestDatabase('bad_inputs');
  config = writeTestConfig({ sources: [] });
  Object.assign(process.env, { DATABASE_URL: db.url, LOG_LEVEL: 'silent', DUBAN_NOW: '2026-11-30T10:00:00+08:00' });
});
afterAll(async () => {
  process.env = saved;
  config.remove();
  await db.drop();
});

/** `duban …` in this process, as the binary runs it: what it printed and its exit code. */
async function duban(...args: string[]): Promise<{ exit: number; printed: string }> {
  const out: string[] = [];
  const capture = (...a: unknown[]) => void out.push(a.map(String).join(' '));
  const log = jest.spyOn(console, 'log').mockImplementation(capture);
  const error = jest.spyOn(console, 'error').mockImplementation(capture);
  process.exitCode = undefined;
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'duban', '--config', config.file, ...args]);
    return { exit: Number(process.exitCode ?? 0), printed: out.join('\n') };
  } catch (err) {
    // As src/cli/main.ts does with what a command throws: its message, exit 1.
    return { exit: 1, printed: [...out, (err as Error).message].join('\n') };
  } finally {
    process.exitCode = undefined;
    log.mockRestore();
    error.mockRestore();
  }
}

/** An empty day for the next file: as the administrator, since the app role may not delete (the ledger's guard lifted). */
async function reset(): Promise<void> {
  await db.admin().db.transaction().execute(async (tx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(tx);
    await sql`TRUNCATE observations, observation_packs, observation_revisions, ingest_rejects, ingest_ignored_columns, ingest_runs, anomalies, evaluation_runs,
              problems, ledger_events, job_runs RESTART IDENTITY CASCADE`.execute(tx);
  });
}

describe('the bad-inputs corpus', () => {
  it('holds at least 60 inputs, each with its expectations', () => {
    const files = Object.keys(expectations);
    expect(files.length).toBeGreaterThanOrEqual(60);
    for (const f of files) expect(readFileSync(path.join(DIR, f))).toBeDefined();
  });

  it.each(Object.entries(expectations))('%s', async (file, e) => {
    await reset();
    const day = e.day ?? DAY;
    const { exit, printed } = await duban('ingest', '--day', day, '--file', path.join(DIR, file));
    expect(printed).not.toMatch(RAW);
    expect(exit).toBe(e.exit);

    const runs = await db.db.selectFrom('ingest_runs').selectAll().orderBy('id').execute();
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run.status).toBe(e.exit === 0 ? 'succeeded' : 'failed');
    if (e.error) {
      expect(run.error).toContain(e.error);
      expect(printed).toContain(e.error);
    }

    const rejects = await db.db.selectFrom('ingest_rejects').select(['reason']).where('run_id', '=', run.id).execute();
    const byReason: Record<string, number> = {};
    for (const r of rejects) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
    const ignored = await db.db.selectFrom('ingest_ignored_columns').selectAll().where('run_id', '=', run.id).orderBy('column_no').execute();
    const kept = run.accepted + run.revised + run.unchanged + run.duplicates;

    expect({
      cells: run.cells_seen ?? 0,
      kept,
      duplicates: run.duplicates,
      rejected: byReason,
      ignored: ignored.map((c) => c.header),
    }).toEqual({ cells: e.cells, kept: e.kept, duplicates: e.duplicates, rejected: e.rejected, ignored: e.ignored });
    // Every cell accounted for, by counts made apart: the source's count of cells, and what became of each.
    expect(run.cells_seen ?? 0).toBe(kept + run.rejected + run.ignored);
    expect(run.rejected).toBe(rejects.length);
    expect(run.ignored).toBe(ignored.reduce((n, c) => n + c.cells, 0));
    for (const [header, suggestion] of Object.entries(e.suggestions ?? {})) {
      expect(ignored.find((c) => c.header === header)?.suggestion).toBe(suggestion);
      expect(printed).toContain(`是否应为“${suggestion}”`);
    }
    for (const c of ignored.filter((c) => c.cells > 0 && c.header !== '')) expect(printed).toContain(`“${c.header}”`);

    const stored = await sql<{ k: string; value: string }>`
      SELECT u.code || '/' || i.code AS k, o.value::text AS value FROM observations o
      JOIN units u ON u.id = o.unit_id JOIN indicators i ON i.id = o.indicator_id WHERE o.day = ${day}::date ORDER BY k`.execute(db.db);
    expect(Object.fromEntries(stored.rows.map((r) => [r.k, r.value]))).toEqual(e.values);
  });

  it('fails one source alone: the sources after a broken one are still read, and no run is left running', async () => {
    await reset();
    const two = writeTestConfig({
      sources: [
        { name: 'workbook', type: 'csv', path: path.join(DIR, 'xlsx-saved-as-csv.csv') },
        { name: 'nul', type: 'csv', path: path.join(DIR, 'nul-in-unit.csv') },
        { name: 'good', type: 'csv', path: path.join(DIR, 'crlf-header-lf-rows.csv') },
      ],
    });
    try {
      const out: string[] = [];
      const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
      try {
        await buildProgram().exitOverride().parseAsync(['node', 'duban', '--config', two.file, 'ingest', '--day', DAY]);
      } finally {
        log.mockRestore();
      }
      expect(process.exitCode).toBe(1);
      process.exitCode = undefined;
      const runs = await db.db.selectFrom('ingest_runs').select(['source', 'status', 'accepted', 'unchanged']).orderBy('id').execute();
      // 郎溪县's two values come in both good files: new from the first, unchanged from the second.
      expect(runs).toEqual([
        { source: 'workbook', status: 'failed', accepted: 0, unchanged: 0 },
        { source: 'nul', status: 'succeeded', accepted: 2, unchanged: 0 },
        { source: 'good', status: 'succeeded', accepted: 4, unchanged: 2 },
      ]);
      expect(out.join('\n')).toContain('workbook 失败');
    } finally {
      two.remove();
    }
  });

  it('prints no stack trace from the binary either, and exits 1 for an input that cannot be read', async () => {
    const cli = path.join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
    for (const file of ['xlsx-saved-as-csv.csv', 'nul-in-unit.csv']) {
      await reset();
      const run = await promisify(execFile)(process.execPath, [cli, '--config', config.file, 'ingest', '--day', DAY, '--file', path.join(DIR, file)], {
        env: { ...process.env, LOG_LEVEL: 'warn' },
      }).then(
        (r) => ({ code: 0, ...r }),
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
      expect(`${run.stdout}${run.stderr}`).not.toMatch(RAW);
      expect(run.code).toBe(expectations[file]!.exit);
    }
  });
});
