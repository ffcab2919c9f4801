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

export interface DatabaseOptions {
  max?: number;
  /**
   * A role the session takes on as soon as it connects (`SET ROLE`), for an administrator's connection acting as the
   * owner role: what it creates is then the owner's. The login must be a member of it.
   */
  role?: string;
}

export function createDatabase(connectionString: string, opts: DatabaseOptions = {}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString,
    max: opts.max ?? 10,
    application_name: 'duban',
    ...(opts.role ? { options: `-c role=${roleName(opts.role)}` } : {}),
  });
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

/** A role name as duban writes them (lower-case identifiers), so it can go into a connection option or DDL unquoted. */
export function roleName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`数据库角色名只能用小写字母、数字和下划线，且不以数字开头：${name}`);
  return name;
}

/** The same server and login, another database (the URL's path is the database name). */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
