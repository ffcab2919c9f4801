import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import type { Database } from '../../src/db/schema';
import { makeHistoryMonths } from '../../src/db/history-months';
import { refreshDayStatistics } from '../../src/db/table-statistics';
import { LetterRepository } from '../../src/repositories/letter.repository';
import { ObservationRepository } from '../../src/repositories/observation.repository';
import { ingestFixture, IngestFixture, ingestRows } from '../helpers/ingest-fixture';

/**
 * The history partitioned by month (migration 20261130T140000000Z-observation-months): each ingest makes its month's
 * partition and the next one's before writing, values land in their month, a month already begun in the default
 * partition stays there whole, and the hot reads of a day or a range read only its months, through the key.
 */
let f: IngestFixture;

beforeAll(async () => {
  // Standing in 2027. The migration makes the server's current month and the next; 2025-06 is never one of them.
  f = await ingestFixture('observation_months', { today: new Date('2027-06-30T04:00:00Z') });
});
afterAll(async () => f.close());

/** Where each of a day's values is stored: the partition's name, per unit code. */
async function homes(day: string): Promise<string[]> {
  const r = await sql<{ home: string }>`SELECT DISTINCT o.tableoid::regclass::text AS home FROM observations o WHERE o.day = ${day}::date`.execute(f.db.db);
  return r.rows.map((x) => x.home);
}

async function months(): Promise<string[]> {
  const r = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'observations'::regclass ORDER BY 1`.execute(f.db.db);
  return r.rows.map((x) => x.name);
}

describe('the history by month', () => {
  it('makes the month of an ingest and the next before writing, and stores the values in their month', async () => {
    await ingestRows(f, '2027-03-15', [
      ['宁国市', '全程网办率', '99.5'],
      ['郎溪县', '全程网办率', '98'],
    ]);
    expect(await months()).toEqual(expect.arrayContaining(['observations_2027_03', 'observations_2027_04']));
    expect(await homes('2027-03-15')).toEqual(['observations_2027_03']);
    expect(await f.observations('2027-03-15')).toEqual({ 'ningguo/full_online_rate': '99.5', 'langxi/full_online_rate': '98' });
    // The ingest refreshed the statistics of its month, and of the whole table, which had none.
    const analyzed = await sql<{ name: string }>`
      SELECT relname AS name FROM pg_stat_user_tables WHERE relname IN ('observations', 'observations_2027_03') AND last_analyze IS NOT NULL ORDER BY 1`.execute(f.db.db);
    expect(analyzed.rows.map((r) => r.name)).toEqual(['observations', 'observations_2027_03']);
    // A month's last day and the next month's first go to their own months.
    await ingestRows(f, '2027-03-31', [['宁国市', '全程网办率', '99.1']]);
    await ingestRows(f, '2027-04-01', [['宁国市', '全程网办率', '99.2']]);
    expect(await homes('2027-03-31')).toEqual(['observations_2027_03']);
    expect(await homes('2027-04-01')).toEqual(['observations_2027_04']);
    // Asked again, nothing more is made.
    expect(await makeHistoryMonths(f.db.db, '2027-03-20')).toBe(0);
    // The app role (this test's) reaches a month only through observations: none of its own privileges on it.
    const direct = await sql<{ select: boolean; insert: boolean }>`
      SELECT has_table_privilege('observations_2027_03', 'SELECT') AS select, has_table_privilege('observations_2027_03', 'INSERT') AS insert`.execute(f.db.db);
    expect(direct.rows[0]).toEqual({ select: false, insert: false });
    await expect(sql`SELECT count(*) FROM observations_2027_03`.execute(f.db.db)).rejects.toThrow(/permission denied/);
  });

  it('leaves a month already begun in the default partition there, whole and readable, and still makes the next', async () => {
    // Values written before their month was made (as a bulk load by hand would) land in the default partition.
    await sql`INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
              SELECT '2025-06-10'::date, i.id, u.id, 97.5, r.id, r.id
              FROM indicators i, units u, (SELECT max(id) AS id FROM ingest_runs) r
              WHERE i.code = 'full_online_rate' AND u.code = 'guangde'`.execute(f.db.db);
    expect(await homes('2025-06-10')).toEqual(['observations_default']);
    expect(await makeHistoryMonths(f.db.db, '2025-06-12')).toBe(1);
    expect(await months()).toContain('observations_2025_07');
    expect(await months()).not.toContain('observations_2025_06');
    await ingestRows(f, '2025-06-12', [['宁国市', '全程网办率', '99.3']]);
    expect(await homes('2025-06-12')).toEqual(['observations_default']);
    expect(await f.observations('2025-06-10')).toEqual({ 'guangde/full_online_rate': '97.5' });
    // Its statistics are refreshed where its values are.
    expect(await refreshDayStatistics(f.db.db, '2025-06-12')).toBe(true);
  });

  it('reads a day, a week and a range of days from their months alone, through the primary key', async () => {
    const captured: CompiledQuery[] = [];
    const logged = new Kysely<Database>({ dialect: new PostgresDialect({ pool: f.db.pool }), log: (e) => void captured.push(e.query) });
    const plans: Array<{ query: string; scanned: string[]; nodes: string[] }> = [];
    const explainEach = async (read: () => Promise<unknown>) => {
      captured.length = 0;
      await read();
      const client = await f.db.pool.connect();
      try {
        // Sequential scans discouraged: what remains is the way an index serves the query, if one can.
        await client.query('SET enable_seqscan = off');
        for (const q of captured) {
          const r = await client.query(`EXPLAIN (FORMAT JSON) ${q.sql}`, [...q.parameters]);
          const nodes: Array<{ 'Node Type': string; 'Relation Name'?: string; Plans?: unknown[] }> = [];
          const walk = (n: { 'Node Type': string; 'Relation Name'?: string; Plans?: unknown[] }) => {
            nodes.push(n);
            for (const c of n.Plans ?? []) walk(c as typeof n);
          };
          walk((r.rows[0] as { 'QUERY PLAN': Array<{ Plan: (typeof nodes)[number] }> })['QUERY PLAN'][0]!.Plan);
          const onHistory = nodes.filter((n) => n['Relation Name']?.startsWith('observations'));
          plans.push({ query: q.sql, scanned: [...new Set(onHistory.map((n) => n['Relation Name']!))].sort(), nodes: onHistory.map((n) => n['Node Type']) });
        }
      } finally {
        await client.query('RESET enable_seqscan');
        client.release();
      }
    };
    await explainEach(() => new ObservationRepository(logged).series('ningguo', undefined, '2027-03-20', '2027-04-05'));
    await explainEach(() => new LetterRepository(logged).indicatorOverview('2027-04-01', '2027-03-25', null));
    await explainEach(() => new LetterRepository(logged).standings('2027-04-01', '2027-03-25', ['ningguo']));

    const onHistory = plans.filter((p) => p.scanned.length > 0);
    expect(onHistory.length).toBeGreaterThanOrEqual(3);
    for (const p of onHistory) {
      // March and April only: no other month, not the default partition.
      expect(p.scanned).toEqual(expect.arrayContaining(['observations_2027_04']));
      expect(p.scanned.every((t) => t === 'observations_2027_03' || t === 'observations_2027_04')).toBe(true);
      expect(p.nodes.every((n) => /Index/.test(n))).toBe(true);
    }
  });
});
