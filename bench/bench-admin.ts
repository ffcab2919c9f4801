import pg from 'pg';
import { withDatabase } from '../src/db/database';

/** Where benchmarks create and drop their databases. */
export const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** One client for the length of `fn`: a bench's set-up and checks, outside what it measures. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs one statement (CREATE or DROP DATABASE) as the admin connection. */
export async function admin(statement: string): Promise<void> {
  await withClient(ADMIN_URL, (c) => c.query(statement));
}

/** The URL of database `name` on the admin connection's server. */
export function benchDatabaseUrl(name: string): string {
  return withDatabase(ADMIN_URL, name);
}

export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
