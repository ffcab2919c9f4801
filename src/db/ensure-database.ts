import pg from 'pg';

/**
 * Creates the database named in `url` when the server says it does not exist, so a fresh machine needs no manual
 * `createdb`. Needs the CREATEDB privilege; without it the server's own error is passed on.
 */
export async function ensureDatabase(url: string): Promise<boolean> {
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  target.pathname = '/postgres';
  const maintenance = new pg.Client({ connectionString: target.toString() });
  await maintenance.connect();
  try {
    await maintenance.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return true;
  } catch (err) {
    // Another instance created it in the meantime.
    if ((err as { code?: string }).code === '42P04') return false;
    throw err;
  } finally {
    await maintenance.end();
  }
}
