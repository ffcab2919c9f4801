import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';

// Dates stay calendar days and numerics keep every digit; bigint counts and ids fit in a double.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  /** The same pool, for what Kysely cannot express: COPY streams. */
  pool: pg.Pool;
  close(): Promise<void>;
}

export function createDatabase(connectionString: string, opts: { max?: number } = {}): DatabaseHandle {
  const pool = new pg.Pool({ connectionString, max: opts.max ?? 10, application_name: 'duban' });
  // A client losing its server (Postgres restarted) must not crash the daemon: idle ones are reported on the pool,
  // checked-out ones (a job's transaction, a slot lock) on the client itself, where the query in flight fails too and
  // the job is retried. The next checkout connects afresh.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    close: () => db.destroy(),
  };
}
