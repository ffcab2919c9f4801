import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, DatabaseHandle } from '../../src/db/database';
import { ensureDatabase } from '../../src/db/ensure-database';
import { migrateToLatest } from '../../src/db/migrator';

/** Where tests connect to create their own databases: the real PostgreSQL, never an in-memory stand-in. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/duban_test';

export interface TestDatabase extends DatabaseHandle {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database per test file, so files can run in parallel and leave nothing behind. */
export async function createTestDatabase(label = 't'): Promise<TestDatabase> {
  const name = `duban_${label}_${process.pid}_${randomBytes(3).toString('hex')}`.toLowerCase();
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(TEST_DATABASE_URL, name);
  const handle = createDatabase(url);
  await migrateToLatest(handle.db);
  return {
    ...handle,
    url,
    name,
    async drop() {
      await handle.close();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function admin(fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const client = await connectAdmin();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}

/** Connects to the test database, creating it first on a machine where .ci/run has not (a developer's). */
async function connectAdmin(): Promise<pg.Client> {
  await ensureDatabase(TEST_DATABASE_URL);
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  return client;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}
