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
