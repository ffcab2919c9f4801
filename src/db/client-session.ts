import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import type { Database } from './schema';

/**
 * One pooled connection, seen both as a raw pg client (for COPY) and as Kysely (for typed queries), inside one
 * transaction. Temporary staging tables live on the connection, so both views must share it.
 */
export async function inClientTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient, db: Kysely<Database>) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: {
        // A facade, not the client itself: Kysely "releases" after each query, which must not return it to the pool.
        connect: async () => ({ query: client.query.bind(client) as pg.PoolClient['query'], release: () => undefined }),
        end: async () => undefined,
      },
    }),
  });
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client, db);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr as Error;
    }
    throw err;
  } finally {
    await db.destroy();
    // A connection whose rollback failed is in an unknown state: drop it rather than return it to the pool.
    client.release(broken);
  }
}
