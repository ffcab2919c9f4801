import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { IngestIgnoredColumnRow, IngestRejectRow, IngestRunRow } from '../db/schema';
import type { InputInfo } from '../ingest/source';

/** PostgreSQL text cannot hold a NUL: one read from a broken file is shown as ␀ rather than failing the write. */
export function storable(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '␀') : text;
}

/** What became of every cell a run saw: cellsSeen = accepted + revised + unchanged + duplicates + rejected + ignored. */
export interface RunCounts {
  accepted: number;
  revised: number;
  unchanged: number;
  /** Equal to another cell of the same unit, indicator and day in the run: taken once. */
  duplicates: number;
  rejected: number;
  /** In columns not read (listed in ingest_ignored_columns). */
  ignored: number;
  cellsSeen: number;
}

export class IngestRunRepository {
  constructor(private readonly db: Db) {}

  async start(day: string, source: string, trigger: string): Promise<number> {
    const row = await this.db
      .insertInto('ingest_runs')
      .values({ day, source, trigger, status: 'running' })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async succeed(id: number, { cellsSeen, ...counts }: RunCounts, inputs: unknown[]): Promise<void> {
    await this.db
      .updateTable('ingest_runs')
      .set({ ...counts, cells_seen: cellsSeen, inputs: storable(JSON.stringify(inputs)), status: 'succeeded', finished_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  async fail(id: number, error: string, inputs: unknown[]): Promise<void> {
    await this.db
      .updateTable('ingest_runs')
      .set({ error: storable(error), inputs: storable(JSON.stringify(inputs)), status: 'failed', finished_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** The columns each input left unread, one row each; returns the cells they held. */
  async recordIgnoredColumns(runId: number, inputs: InputInfo[]): Promise<number> {
    const rows = inputs.flatMap((i) =>
      (i.ignoredColumns ?? []).map((c) => ({
        run_id: runId,
        input: i.name,
        column_no: c.column,
        header: storable(c.header),
        reason: c.reason,
        message: c.message,
        suggestion: c.suggestion ?? null,
        cells: c.cells,
      })),
    );
    if (rows.length > 0) await this.db.insertInto('ingest_ignored_columns').values(rows).execute();
    return rows.reduce((n, r) => n + r.cells, 0);
  }

  async ignoredColumns(runIds: number[]): Promise<IngestIgnoredColumnRow[]> {
    if (runIds.length === 0) return [];
    return this.db.selectFrom('ingest_ignored_columns').selectAll().where('run_id', 'in', runIds).orderBy('run_id').orderBy('id').execute();
  }

  /**
   * Inside a new run's transaction, under the day's lock: runs of the same day and source still marked running
   * belong to a process that died mid-run (its transaction rolled back). A run merely waiting for the lock is marked
   * too, and sets its own outcome when it ends.
   */
  async failInterrupted(day: string, source: string, byRun: number): Promise<number> {
    const r = await this.db
      .updateTable('ingest_runs')
      .set({ status: 'failed', error: `进程中断，本次采集未完成，由第 ${byRun} 次运行重做`, finished_at: sql`now()` })
      .where('day', '=', day)
      .where('source', '=', source)
      .where('status', '=', 'running')
      .where('id', '<', byRun)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /**
   * For each day from `from` to `to` that has values, the run its verdict must follow: the newest successful run
   * that changed a value on that day or on any of the `windowDays` days before it, which the day's rules compare it
   * with. A late or revised earlier day so gives the days after it a new verdict.
   */
  async verdictRuns(from: string, to: string, windowDays: number): Promise<Map<string, number>> {
    const r = await sql<{ day: string; run: number }>`
      SELECT d.day, max(r.id)::int AS run
      FROM (SELECT DISTINCT day FROM ingest_runs
            WHERE day BETWEEN ${from}::date AND ${to}::date AND status = 'succeeded' AND accepted + revised > 0) d
      JOIN ingest_runs r ON r.day BETWEEN d.day - ${windowDays}::int AND d.day AND r.status = 'succeeded' AND r.accepted + r.revised > 0
      GROUP BY d.day
      ORDER BY d.day`.execute(this.db);
    return new Map(r.rows.map((row) => [row.day, row.run]));
  }

  async forDay(day: string): Promise<IngestRunRow[]> {
    return this.db.selectFrom('ingest_runs').selectAll().where('day', '=', day).orderBy('id').execute();
  }

  async rejects(runIds: number[], limit: number): Promise<IngestRejectRow[]> {
    if (runIds.length === 0) return [];
    return this.db
      .selectFrom('ingest_rejects')
      .selectAll()
      .where('run_id', 'in', runIds)
      .orderBy('run_id')
      .orderBy('id')
      .limit(limit)
      .execute();
  }
}
