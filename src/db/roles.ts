import { MigrationResultSet, sql } from 'kysely';
import pg from 'pg';
import { createDatabase, Db, roleName } from './database';
import { ensureDatabase } from './ensure-database';
import { applyGrants } from './grants';
import { migrateToLatest, pendingMigrations } from './migrator';

/**
 * Two roles, so that the credentials the daemon holds cannot rewrite what it wrote: the owner role owns the schema and
 * runs the migrations (its URL is MIGRATION_DATABASE_URL, kept by the DBA); the app role owns nothing and holds only
 * the privileges of `grants.ts`. docs/operations.md shows the setup; docs/threat-model.md what it protects against.
 */

export interface RoleSetup {
  owner: string;
  app: string;
  /** Passwords to set (from the environment); absent, the roles log in as pg_hba.conf allows (peer, cert, trust). */
  ownerPassword?: string;
  appPassword?: string;
}

export interface RoleSetupReport {
  database: string;
  created: string[];
  /** Objects of the schema that another role owned and the owner role now owns. */
  reassigned: string[];
  migrated: string[];
}

/**
 * Run by an administrator (a superuser, or a role with CREATEROLE that may act as both): creates the roles when
 * missing, makes the owner role own the database and every object of duban's schema, migrates as the owner and grants
 * the app role its privileges. Safe to run again: it converges on the same roles and grants.
 */
export async function setupRoles(adminUrl: string, setup: RoleSetup): Promise<RoleSetupReport> {
  const owner = roleName(setup.owner);
  const app = roleName(setup.app);
  if (owner === app) throw new Error('所有者角色和应用角色必须是两个不同的角色');
  await ensureDatabase(adminUrl);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const created: string[] = [];
  let reassigned: string[];
  let database: string;
  try {
    database = (await admin.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
    for (const [role, password] of [
      [owner, setup.ownerPassword],
      [app, setup.appPassword],
    ] as const) {
      if (await createRoleIfMissing(admin, role)) created.push(role);
      // DDL takes no parameters; the literal is escaped by the driver and the statement is never logged.
      if (password) await admin.query(`ALTER ROLE ${role} PASSWORD ${admin.escapeLiteral(password)}`);
    }
    const appPowers = (
      await admin.query<{ superuser: boolean; member: boolean }>(
        `SELECT rolsuper AS superuser, pg_has_role($1, $2, 'MEMBER') AS member FROM pg_roles WHERE rolname = $1`,
        [app, owner],
      )
    ).rows[0]!;
    if (appPowers.superuser || appPowers.member) throw new Error(`应用角色 ${app} 是超级用户或 ${owner} 的成员，不能作为应用角色`);
    const dbId = pg.escapeIdentifier(database);
    await admin.query(`ALTER DATABASE ${dbId} OWNER TO ${owner}`);
    await admin.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    await admin.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${owner}`);
    // Ingest stages a run's rows in temporary tables.
    await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${dbId} TO ${owner}, ${app}`);
    reassigned = await reassignToOwner(admin, owner);
  } finally {
    await admin.end();
  }
  const asOwner = createDatabase(adminUrl, { max: 1, role: owner });
  try {
    const result = await migrateToLatest(asOwner.db);
    await applyGrants(asOwner.db, app);
    return { database, created, reassigned, migrated: migratedNames(result) };
  } finally {
    await asOwner.close();
  }
}

async function createRoleIfMissing(admin: pg.Client, role: string): Promise<boolean> {
  const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (exists.rowCount) return false;
  try {
    await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT`);
    return true;
  } catch (err) {
    // Another setup made it meanwhile (roles are cluster-wide; CREATE ROLE has no IF NOT EXISTS).
    if ((err as { code?: string }).code === '42710' || (err as { code?: string }).code === '23505') return false;
    throw err;
  }
}

/**
 * Tables (their partitions too), sequences not owned by a table, views and functions of the schema that another role
 * owns (not an extension's).
 */
async function reassignToOwner(admin: pg.Client, owner: string): Promise<string[]> {
  const r = await admin.query<{ kind: string; name: string }>(
    `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END AS kind, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'S') AND pg_get_userbyid(c.relowner) <> $1
        -- A partition (a month of observations) depends on its table as a sequence on its column, but is owned apart;
        -- a partitioned table depends on itself (its partition key).
        AND (c.relispartition OR NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.refobjid <> c.oid AND d.deptype IN ('e', 'a', 'i')))
     UNION ALL
     SELECT 'FUNCTION', p.oid::regprocedure::text
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> $1
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
     ORDER BY 1, 2`,
    [owner],
  );
  for (const o of r.rows) {
    const name = o.kind === 'FUNCTION' ? o.name : pg.escapeIdentifier(o.name);
    await admin.query(`ALTER ${o.kind} ${name} OWNER TO ${owner}`);
  }
  return r.rows.map((o) => o.name);
}

/** What the role a connection runs as could do to the ledger beyond appending to it. */
export interface DatabasePowers {
  role: string;
  superuser: boolean;
  /** Owns the ledger's table (or may act as its owner): could disable its triggers, alter or drop it. */
  ownsLedger: boolean;
  /** Holds UPDATE, DELETE, TRUNCATE or TRIGGER on the ledger: a grant too many. */
  canRewriteLedger: boolean;
}

export async function databasePowers(db: Db): Promise<DatabasePowers> {
  const r = await sql<DatabasePowers>`
    SELECT current_user AS role, r.rolsuper AS superuser,
           coalesce(pg_has_role(current_user, t.tableowner, 'MEMBER'), false) AS "ownsLedger",
           coalesce(has_table_privilege('public.ledger_events', 'UPDATE, DELETE, TRUNCATE, TRIGGER'), false) AS "canRewriteLedger"
    FROM pg_roles r LEFT JOIN pg_tables t ON t.schemaname = 'public' AND t.tablename = 'ledger_events'
    WHERE r.rolname = current_user`.execute(db);
  return r.rows[0]!;
}

/** Why a role may not run the daemon, in Chinese; nothing when it holds only the app's privileges. */
export function forgingPowers(p: DatabasePowers): string | undefined {
  if (p.superuser) return `数据库角色 ${p.role} 是超级用户，可以改写、删除台账`;
  if (p.ownsLedger) return `数据库角色 ${p.role} 是台账表的所有者，可以停用其触发器、改写或清空台账`;
  if (p.canRewriteLedger) return `数据库角色 ${p.role} 对台账表有修改、删除或清空的权限`;
  return undefined;
}

/**
 * Migrates with the owner's connection and grants the app role (the one `appRole` names; none when the app logs in
 * as the owner itself) what `grants.ts` declares.
 */
export async function migrateAsOwner(ownerUrl: string, appRole: string | undefined): Promise<MigrationResultSet> {
  await ensureDatabase(ownerUrl);
  const owner = createDatabase(ownerUrl, { max: 1 });
  try {
    const result = await migrateToLatest(owner.db);
    const me = (await sql<{ role: string }>`SELECT current_user AS role`.execute(owner.db)).rows[0]!.role;
    if (appRole && appRole !== me) await applyGrants(owner.db, appRole);
    return result;
  } finally {
    await owner.close();
  }
}

/**
 * Readies the schema for the app's own connection: with an owner URL, migrates and grants through it; without one,
 * migrates as the app's role when there is anything to do, which works only where that role may (one role for
 * everything: a developer's machine, the demo). An app role facing a schema behind the code is told what to run.
 */
export async function prepareSchema(app: Db, ownerUrl: string | undefined): Promise<MigrationResultSet | undefined> {
  const appRole = (await sql<{ role: string }>`SELECT current_user AS role`.execute(app)).rows[0]!.role;
  if (ownerUrl) return migrateAsOwner(ownerUrl, appRole);
  const pending = await pendingMigrations(app);
  if (pending.length === 0) return undefined;
  try {
    return await migrateToLatest(app);
  } catch (err) {
    if (!isPermissionDenied(err)) throw err;
    throw new Error(
      `数据库结构需要迁移（${pending.join('、')}），但角色 ${appRole} 无权迁移：请设置 MIGRATION_DATABASE_URL 为所有者角色的连接，或由管理员运行 duban migrate --owner-url <所有者连接>`,
      { cause: err },
    );
  }
}

function isPermissionDenied(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) if ((e as { code?: string }).code === '42501') return true;
  return false;
}

function migratedNames(result: MigrationResultSet): string[] {
  return (result.results ?? []).map((r) => r.migrationName);
}
