import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Day } from '../domain/day';
import { ValuesDigest } from '../domain/values-digest';

export interface RunValues {
  runId: number;
  day: Day;
}

/**
 * Reads what ingest runs wrote, for their fingerprints (values-digest.ts). On a raw client: the values stream out as
 * COPY text, a million in about half a second, where paging them through queries took seven times as long. Use it
 * inside a transaction (the caller's), so the session settings below end with it.
 */
export class ValuesDigestRepository {
  constructor(private readonly client: pg.PoolClient) {}

  /**
   * The fingerprint of the values a run wrote: its current observations and the old values of revisions that replaced
   * them, in key order; the hash is taken here, over the text the database streams.
   */
  async ofRun({ runId, day }: RunValues): Promise<{ values: number; digest: string }> {
    // COPY takes no parameters: the run to read is handed over in a temporary table, so the statement stays fixed.
    await this.client.query('CREATE TEMP TABLE IF NOT EXISTS values_digest_run (day date NOT NULL, run_id bigint NOT NULL)');
    await this.client.query('DELETE FROM values_digest_run');
    await this.client.query('INSERT INTO values_digest_run (day, run_id) VALUES ($1, $2)', [day, runId]);
    // A million values sort in memory rather than on disk.
    await this.client.query(`SELECT set_config('work_mem', '64MB', true)`);
    const digest = new ValuesDigest();
    await pipeline(
      this.client.query(
        // Ordered to the last column, in a collation that is the same everywhere, so the text is one and the same.
        // The day and run as single values (sub-selects of the one row), not a join: the temporary table has no
        // statistics, and joined, the planner read and sorted every observation of every day.
        copyTo(`COPY (SELECT o.indicator_id, o.unit_id, trim_scale(o.value)::text COLLATE "C"
                      FROM observations o
                      WHERE o.day = (SELECT day FROM values_digest_run) AND o.run_id = (SELECT run_id FROM values_digest_run)
                      UNION ALL
                      SELECT v.indicator_id, v.unit_id, trim_scale(v.old_value)::text COLLATE "C"
                      FROM observation_revisions v
                      WHERE v.day = (SELECT day FROM values_digest_run) AND v.old_run_id = (SELECT run_id FROM values_digest_run)
                      ORDER BY 1, 2, 3) TO STDOUT`),
      ),
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          digest.update(chunk);
          done();
        },
      }),
    );
    return digest.result();
  }

  /** Every run that holds values now (current or replaced), with its day: what the ledger must account for. */
  async runsWithValues(): Promise<RunValues[]> {
    const r = await this.client.query<RunValues>(`
      SELECT run_id::int AS "runId", day::text AS day FROM observations GROUP BY run_id, day
      UNION
      SELECT old_run_id::int, day::text FROM observation_revisions GROUP BY old_run_id, day
      ORDER BY 1, 2`);
    return r.rows;
  }
}
