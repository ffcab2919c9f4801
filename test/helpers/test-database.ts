import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, DatabaseHandle, withDatabase } from '../../src/db/database';

export { withDatabase };
import { ensureDatabase } from '../../src/db/ensure-database';
import { setupRoles } from '../../src/db/roles';

/** Where tests connect to create their own databases: the real PostgreSQL, never an in-memory stand-in. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/duban_test';

/**
 * The two roles every test database is set up with, as a bureau's DBA sets up production (docs/operations.md): the
 * owner migrates; the app role, which tests and the daemons they start use, holds only the grants of src/db/grants.ts.
 * Roles are cluster-wide, so test files share them; the password is for servers that ask for one.
 */
export const TEST_ROLES = { owner: 'duban_test_owner', app: 'duban_test_app', password: 'duban-test-only' } as const;

export interface TestDatabase extends DatabaseHandle {
  /** The app role's URL: what the code under test connects with. */
  url: string;
  /** The owner role's URL (MIGRATION_DATABASE_URL). */
  ownerUrl: string;
  /** The superuser's URL: for tests that act as an administrator (tampering, inspecting). */
  adminUrl: string;
  name: string;
  /** A superuser connection to this database, opened on first use (closed with the rest). */
  admin(): DatabaseHandle;
  drop(): Promise<void>;
}

/** A fresh database per test file, migrated by the owner role, connected as the app role; it leaves nothing behind. */
export async function createTestDatabase(label = 't'): Promise<TestDatabase> {
  const name = `duban_${label}_${process.pid}_${randomBytes(3).toString('hex')}`.toLowerCase();
  await admin(async (c) => {
    await c.query(`CREATE DATABASE ${name}`);
    for (const role of [TEST_ROLES.owner, TEST_ROLES.app]) await createRole(c, role);
  });
  await setupRoles(withDatabase(TEST_DATABASE_URL, name), { owner: TEST_ROLES.owner, app: TEST_ROLES.app });
  return connectTo(name);
}

/**
 * A copy of a prepared test database (PostgreSQL's CREATE DATABASE … TEMPLATE: files copied, fast), for tests that
 * each do something destructive to the same starting state. Nobody may be connected to the template meanwhile.
 */
export async function cloneTestDatabase(template: string, label: string): Promise<TestDatabase> {
  const name = `duban_${label}_${process.pid}_${randomBytes(3).toString('hex')}`.toLowerCase();
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template} OWNER ${TEST_ROLES.owner}`));
  return connectTo(name);
}

/**
 * An empty database, no roles set up and nothing migrated, connected as the superuser: for migration tests, which
 * migrate it to an earlier release's schema, put in that release's data, and migrate on.
 */
export async function createEmptyDatabase(label: string): Promise<DatabaseHandle & { name: string; drop(): Promise<void> }> {
  const name = `duban_${label}_${process.pid}_${randomBytes(3).toString('hex')}`.toLowerCase();
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const handle = createDatabase(withDatabase(TEST_DATABASE_URL, name));
  return {
    ...handle,
    name,
    async drop() {
      await handle.close();
      await dropTestDatabase(name);
    },
  };
}

/** Drops a test database by name (one whose handle is already closed, e.g. a template). */
export async function dropTestDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

function connectTo(name: string): TestDatabase {
  const adminUrl = withDatabase(TEST_DATABASE_URL, name);
  const url = asRole(adminUrl, TEST_ROLES.app);
  const handle = createDatabase(url);
  let adminHandle: DatabaseHandle | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
    await adminHandle?.close();
  };
  return {
    ...handle,
    close,
    url,
    ownerUrl: asRole(adminUrl, TEST_ROLES.owner),
    adminUrl,
    name,
    admin() {
      return (adminHandle ??= createDatabase(adminUrl, { max: 2 }));
    },
    async drop() {
      await close();
      await dropTestDatabase(name);
    },
  };
}

/** Once per cluster; parallel test files may race to it. The password is set only when created (ALTER ROLE races). */
async function createRole(c: pg.Client, role: string): Promise<void> {
  if ((await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount) return;
  try {
    await c.query(`CREATE ROLE ${role} LOGIN PASSWORD ${c.escapeLiteral(TEST_ROLES.password)}`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== '42710' && code !== '23505') throw err;
  }
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

/** The same server and database, logged in as `role`. */
export function asRole(url: string, role: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = TEST_ROLES.password;
  return u.toString();
}
