import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db } from '../db/database';

/** One row for the staging table: a good value, or a rejected record with its reason. */
export type StagedRow =
  | { input: number; line: number | null; raw: string; unitId: number; indicatorId: number; value: string }
  | { input: number; line: number | null; raw: string; reason: string; message: string };

export interface MergeCounts {
  accepted: number;
  revised: number;
  unchanged: number;
}

/**
 * The set-based write path of an ingest run. Rows are COPYed into a temporary table on the run's own connection;
 * rejects, duplicate conflicts and the upsert with revisions are each one statement over that table. Everything runs
 * in the caller's transaction, so an input that breaks half-way leaves nothing behind.
 */
export class ObservationStagingRepository {
  constructor(
    private readonly client: pg.PoolClient,
    private readonly db: Db,
  ) {}

  async create(): Promise<void> {
    await sql`
      CREATE TEMP TABLE ingest_staging (
        input smallint NOT NULL, line integer, raw text NOT NULL,
        unit_id integer, indicator_id integer, value numeric, reason text, message text
      ) ON COMMIT DROP`.execute(this.db);
  }

  async copy(rows: AsyncIterable<StagedRow>): Promise<void> {
    const target = this.client.query(
      copyFrom('COPY ingest_staging (input, line, raw, unit_id, indicator_id, value, reason, message) FROM STDIN'),
    );
    await pipeline(Readable.from(toCopyText(rows), { objectMode: false }), target);
  }

  async insertRejects(runId: number, source: string, inputs: string[]): Promise<number> {
    const r = await sql`
      INSERT INTO ingest_rejects (run_id, source, input, line_no, raw, reason, message)
      SELECT ${runId}, ${source}, (${inputs}::text[])[s.input + 1], s.line, s.raw, s.reason, s.message
      FROM ingest_staging s WHERE s.reason IS NOT NULL`.execute(this.db);
    return Number(r.numAffectedRows ?? 0);
  }

  /** One row per (indicator, unit); a key reported twice with different values is marked as conflicting. */
  async group(): Promise<void> {
    await sql`
      CREATE TEMP TABLE ingest_grouped ON COMMIT DROP AS
      SELECT indicator_id, unit_id, min(value) AS value, min(value) <> max(value) AS conflicting
      FROM ingest_staging WHERE reason IS NULL GROUP BY indicator_id, unit_id`.execute(this.db);
  }

  /** Every row of a conflicting key is rejected: the run cannot know which of the values is right. */
  async rejectConflicts(runId: number, source: string, inputs: string[]): Promise<number> {
    const r = await sql`
      WITH c AS (
        SELECT s.*, string_agg(s.value::text || '（' || coalesce('第 ' || s.line || ' 行', '?') || '）', '、')
                      OVER (PARTITION BY s.indicator_id, s.unit_id ORDER BY s.input, s.line
                            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS seen
        FROM ingest_staging s
        JOIN ingest_grouped g ON g.indicator_id = s.indicator_id AND g.unit_id = s.unit_id AND g.conflicting
        WHERE s.reason IS NULL)
      INSERT INTO ingest_rejects (run_id, source, input, line_no, raw, reason, message)
      SELECT ${runId}, ${source}, (${inputs}::text[])[c.input + 1], c.line, c.raw, 'conflicting_duplicate',
             u.name || ' ' || i.name || ' 在同一批次中有不同数值：' || c.seen || '，均未采用'
      FROM c JOIN units u ON u.id = c.unit_id JOIN indicators i ON i.id = c.indicator_id`.execute(this.db);
    return Number(r.numAffectedRows ?? 0);
  }

  /**
   * New keys are inserted; a changed value updates the observation and keeps the old value as a revision; an equal
   * value (numerically: 99.5 = 99.50) changes nothing.
   */
  async merge(runId: number, day: string): Promise<MergeCounts> {
    const r = await sql<{ total: number; accepted: number; revised: number }>`
      WITH src AS (SELECT indicator_id, unit_id, value FROM ingest_grouped WHERE NOT conflicting),
      changed AS (
        SELECT o.id, o.value AS old_value, src.value AS new_value
        FROM observations o JOIN src ON o.indicator_id = src.indicator_id AND o.unit_id = src.unit_id
        WHERE o.day = ${day}::date AND o.value <> src.value),
      upd AS (
        UPDATE observations o SET value = changed.new_value, run_id = ${runId}, revised_at = now()
        FROM changed WHERE o.id = changed.id RETURNING o.id),
      rev AS (
        INSERT INTO observation_revisions (observation_id, old_value, new_value, run_id)
        SELECT id, old_value, new_value, ${runId} FROM changed RETURNING 1),
      ins AS (
        INSERT INTO observations (indicator_id, unit_id, day, value, first_run_id, run_id)
        SELECT indicator_id, unit_id, ${day}::date, value, ${runId}, ${runId} FROM src
        ON CONFLICT (indicator_id, unit_id, day) DO NOTHING RETURNING 1)
      SELECT (SELECT count(*) FROM src)::int AS total, (SELECT count(*) FROM ins)::int AS accepted,
             (SELECT count(*) FROM upd)::int AS revised`.execute(this.db);
    const row = r.rows[0]!;
    return { accepted: row.accepted, revised: row.revised, unchanged: row.total - row.accepted - row.revised };
  }
}

const NULL = '\\N';

async function* toCopyText(rows: AsyncIterable<StagedRow>): AsyncGenerator<string> {
  // Lines are batched into larger chunks: one stream write per row would cost more than the row itself.
  let batch = '';
  for await (const r of rows) {
    const line = r.line === null ? NULL : String(r.line);
    batch +=
      'reason' in r
        ? `${r.input}\t${line}\t${escapeCopy(r.raw)}\t${NULL}\t${NULL}\t${NULL}\t${escapeCopy(r.reason)}\t${escapeCopy(r.message)}\n`
        : `${r.input}\t${line}\t${escapeCopy(r.raw)}\t${r.unitId}\t${r.indicatorId}\t${r.value}\t${NULL}\t${NULL}\n`;
    if (batch.length > 64 * 1024) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** COPY text format: backslash, tab and line breaks must be escaped inside a field. */
export function escapeCopy(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
