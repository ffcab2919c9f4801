import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db } from '../db/database';

/** One row for the staging table: a good value, or a rejected record with its reason. */
export type StagedRow =
  | { input: number; line: number | null; column: string | null; raw: string; unitId: number; indicatorId: number; value: string }
  | { input: number; line: number | null; column: string | null; raw: string; reason: string; message: string };

/**
 * Of the grouped keys: conflicting ones, ones whose stored value changes, and all the others (kept); and the cells
 * that repeat a kept key with an equal value (taken once).
 */
export interface GroupedCounts {
  conflicting: number;
  changed: number;
  kept: number;
  duplicates: number;
}

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
        input smallint NOT NULL, line integer, column_name text, raw text NOT NULL,
        unit_id integer, indicator_id integer, value numeric, reason text, message text
      ) ON COMMIT DROP`.execute(this.db);
  }

  /** Rows one by one or in batches (arrays), as the source hands them on. */
  async copy(rows: AsyncIterable<StagedRow | readonly StagedRow[]>): Promise<void> {
    const target = this.client.query(
      copyFrom('COPY ingest_staging (input, line, column_name, raw, unit_id, indicator_id, value, reason, message) FROM STDIN'),
    );
    await pipeline(Readable.from(toCopyText(rows), { objectMode: false }), target);
  }

  async insertRejects(runId: number, source: string, inputs: string[]): Promise<number> {
    const r = await sql`
      INSERT INTO ingest_rejects (run_id, source, input, line_no, column_name, raw, reason, message)
      SELECT ${runId}, ${source}, (${inputs}::text[])[s.input + 1], s.line, s.column_name, s.raw, s.reason, s.message
      FROM ingest_staging s WHERE s.reason IS NOT NULL`.execute(this.db);
    return Number(r.numAffectedRows ?? 0);
  }

  /**
   * One row per (indicator, unit), with the value already stored for the day if any. A key reported twice with
   * different values is marked as conflicting. Reading the stored values here, before anything is written, keeps
   * every later statement from scanning the table it writes (which, planned on an empty table, grows quadratic).
   */
  async group(day: string): Promise<void> {
    await sql`
      CREATE TEMP TABLE ingest_grouped ON COMMIT DROP AS
      SELECT g.indicator_id, g.unit_id, g.value, g.conflicting, g.cells, o.value AS old_value, o.run_id AS old_run_id
      FROM (SELECT indicator_id, unit_id, min(value) AS value, min(value) <> max(value) AS conflicting, count(*)::int AS cells
            FROM ingest_staging WHERE reason IS NULL GROUP BY indicator_id, unit_id) g
      LEFT JOIN observations o ON o.day = ${day}::date AND o.indicator_id = g.indicator_id AND o.unit_id = g.unit_id`.execute(
      this.db,
    );
  }

  /** What the grouped rows hold, so that statements with nothing to do (the usual case) are not run at all. */
  async groupedCounts(): Promise<GroupedCounts> {
    const r = await sql<GroupedCounts>`
      SELECT count(*) FILTER (WHERE conflicting)::int AS conflicting,
             count(*) FILTER (WHERE NOT conflicting AND old_value <> value)::int AS changed,
             count(*) FILTER (WHERE NOT conflicting)::int AS kept,
             coalesce(sum(cells - 1) FILTER (WHERE NOT conflicting), 0)::int AS duplicates
      FROM ingest_grouped`.execute(this.db);
    return r.rows[0]!;
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
      INSERT INTO ingest_rejects (run_id, source, input, line_no, column_name, raw, reason, message)
      SELECT ${runId}, ${source}, (${inputs}::text[])[c.input + 1], c.line, c.column_name, c.raw, 'conflicting_duplicate',
             u.name || ' ' || i.name || ' 在同一批次中有不同数值：' || c.seen || '，均未采用'
      FROM c JOIN units u ON u.id = c.unit_id JOIN indicators i ON i.id = c.indicator_id`.execute(this.db);
    return Number(r.numAffectedRows ?? 0);
  }

  /**
   * New keys are inserted; a changed value becomes a revision, which keeps the old value and updates the observation; an equal
   * value (numerically: 99.5 = 99.50) changes nothing. A plain insert rather than ON CONFLICT (twice as fast on a
   * million rows): the caller holds the day's advisory lock, so no other run writes this day meanwhile, and the
   * primary key would still refuse a double rather than let one through.
   */
  async merge(runId: number, day: string, { changed, kept }: GroupedCounts): Promise<MergeCounts> {
    if (changed > 0) await this.revise(runId, day);
    const accepted = await sql`
      INSERT INTO observations (day, indicator_id, unit_id, value, first_run_id, run_id)
      SELECT ${day}::date, indicator_id, unit_id, value, ${runId}, ${runId}
      FROM ingest_grouped WHERE NOT conflicting AND old_value IS NULL`.execute(this.db);
    const inserted = Number(accepted.numAffectedRows ?? 0);
    return { accepted: inserted, revised: changed, unchanged: kept - inserted - changed };
  }

  /**
   * A changed value is written only as a revision: the owner role's trigger applies it to the observation, provided
   * the value and run it replaces are still the stored ones. The app role cannot update observations itself.
   */
  private async revise(runId: number, day: string): Promise<void> {
    await sql`
      INSERT INTO observation_revisions (day, indicator_id, unit_id, old_value, new_value, run_id, old_run_id)
      SELECT ${day}::date, indicator_id, unit_id, old_value, value, ${runId}, old_run_id
      FROM ingest_grouped WHERE NOT conflicting AND old_value <> value`.execute(this.db);
  }
}

const NULL = '\\N';

async function* toCopyText(rows: AsyncIterable<StagedRow | readonly StagedRow[]>): AsyncGenerator<string> {
  // Lines are batched into larger chunks: one stream write per row would cost more than the row itself.
  let batch = '';
  for await (const item of rows) {
    if (isBatch(item)) {
      for (const r of item) batch += copyLine(r);
    } else {
      batch += copyLine(item);
    }
    if (batch.length > 64 * 1024) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}

function isBatch(item: StagedRow | readonly StagedRow[]): item is readonly StagedRow[] {
  return Array.isArray(item);
}

function copyLine(r: StagedRow): string {
  const line = r.line === null ? NULL : String(r.line);
  // The column is wanted only to place a rejected cell; a good row's is not sent (a million rows, a million strings).
  return 'reason' in r
    ? `${r.input}\t${line}\t${r.column === null ? NULL : escapeCopy(r.column)}\t${escapeCopy(r.raw)}\t${NULL}\t${NULL}\t${NULL}\t${escapeCopy(r.reason)}\t${escapeCopy(r.message)}\n`
    : `${r.input}\t${line}\t${NULL}\t${escapeCopy(r.raw)}\t${r.unitId}\t${r.indicatorId}\t${r.value}\t${NULL}\t${NULL}\n`;
}

const NEEDS_ESCAPE = /[\\\t\n\r\0]/;

/**
 * COPY text format: backslash, tab and line breaks must be escaped inside a field. A NUL cannot be stored in text at
 * all: it is shown as ␀ (the rows holding one are rejected for it before they get here).
 */
export function escapeCopy(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[\\\t\n\r\0]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '␀'));
}
