import type pg from 'pg';

/**
 * A Postgres session lock per (job, slot), held while a runner works on the slot. It says whether some runner is
 * alive on it right now, in any daemon, whether BullMQ handed it the job or it ran it inline; a runner that dies takes
 * its session, and so the lock, with it. job_runs says what happened; this says who is at it.
 */
export class SlotLocks {
  constructor(private readonly pool: pg.Pool) {}

  async hold<T>(job: string, slot: string, fn: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(`SELECT pg_advisory_lock(hashtext($1), hashtext($2))`, [`duban.job.${job}`, slot]);
      try {
        return await fn();
      } finally {
        await client.query(`SELECT pg_advisory_unlock(hashtext($1), hashtext($2))`, [`duban.job.${job}`, slot]).catch((err: Error) => (broken = err));
      }
    } finally {
      // A session that could not let go (Postgres restarted under it) is closed rather than pooled with a lock held.
      client.release(broken);
    }
  }

  async isHeld(job: string, slot: string): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ free: boolean }>(`SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS free`, [`duban.job.${job}`, slot]);
      if (rows[0]!.free) await client.query(`SELECT pg_advisory_unlock(hashtext($1), hashtext($2))`, [`duban.job.${job}`, slot]);
      return !rows[0]!.free;
    } finally {
      client.release();
    }
  }
}
