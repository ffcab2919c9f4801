import { sql } from 'kysely';
import type { Db } from '../db/database';

export class JobRunRepository {
  constructor(private readonly db: Db) {}

  /**
   * Claims (job, slot) for this worker unless it already succeeded. A 'running' row is taken over: BullMQ hands a
   * job to a second worker only when the first lost its lock (crashed or stalled), and the work itself is idempotent.
   * Returns the attempt number, or undefined when the slot is already done.
   */
  async claim(job: string, slot: string, worker: string): Promise<number | undefined> {
    const row = await this.db
      .insertInto('job_runs')
      .values({ job, slot, status: 'running', worker })
      .onConflict((oc) =>
        oc
          .columns(['job', 'slot'])
          .doUpdateSet({
            status: 'running',
            worker,
            attempts: sql`job_runs.attempts + 1`,
            error: null,
            started_at: sql`now()`,
            finished_at: null,
          })
          .where('job_runs.status', '<>', 'succeeded'),
      )
      .returning('attempts')
      .executeTakeFirst();
    return row?.attempts;
  }

  async succeed(job: string, slot: string, result: unknown): Promise<void> {
    await this.db
      .updateTable('job_runs')
      .set({ status: 'succeeded', result: JSON.stringify(result ?? null), finished_at: sql`now()` })
      .where('job', '=', job)
      .where('slot', '=', slot)
      .execute();
  }

  async fail(job: string, slot: string, error: string): Promise<void> {
    await this.db
      .updateTable('job_runs')
      .set({ status: 'failed', error, finished_at: sql`now()` })
      .where('job', '=', job)
      .where('slot', '=', slot)
      .execute();
  }

  /** Slots of `job` among `slots` that have succeeded. */
  async succeededSlots(job: string, slots: string[]): Promise<Set<string>> {
    if (slots.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('job_runs')
      .select('slot')
      .where('job', '=', job)
      .where('slot', 'in', slots)
      .where('status', '=', 'succeeded')
      .execute();
    return new Set(rows.map((r) => r.slot));
  }

}
