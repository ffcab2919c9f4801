import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { IngestRejectRow, IngestRunRow } from '../db/schema';

export interface RunCounts {
  accepted: number;
  revised: number;
  unchanged: number;
  rejected: number;
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

  async succeed(id: number, counts: RunCounts, inputs: unknown[]): Promise<void> {
    await this.db
      .updateTable('ingest_runs')
      .set({ ...counts, inputs: JSON.stringify(inputs), status: 'succeeded', finished_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  async fail(id: number, error: string, inputs: unknown[]): Promise<void> {
    await this.db
      .updateTable('ingest_runs')
      .set({ error, inputs: JSON.stringify(inputs), status: 'failed', finished_at: sql`now()` })
      .where('id', '=', id)
      .execute();
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

  /** Per day, the newest successful run that changed a value: the one the day's verdict must follow. */
  async latestChangingRuns(from: string, to: string): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('ingest_runs')
      .select(['day', (eb) => eb.fn.max('id').as('run')])
      .where('day', '>=', from)
      .where('day', '<=', to)
      .where('status', '=', 'succeeded')
      .where((eb) => eb(eb('accepted', '+', eb.ref('revised')), '>', 0))
      .groupBy('day')
      .execute();
    return new Map(rows.map((r) => [r.day, Number(r.run)]));
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
