import pg from 'pg';

/** Where benchmarks create and drop their databases. */
export const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Runs one statement (CREATE or DROP DATABASE) as the admin connection. */
export async function admin(statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

/** The URL of database `name` on the admin connection's server. */
export function benchDatabaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
