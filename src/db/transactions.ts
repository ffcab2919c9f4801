import type { Db } from './database';

/** Runs `fn` in a transaction, or in the caller's when `db` already is one (Kysely does not nest them). */
export async function inTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

class Rollback<T> {
  constructor(readonly value: T) {}
}

/** Runs `fn` in a transaction that is always rolled back: for what-if work (backtests, replays) that must write nothing. */
export async function inRolledBackTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  try {
    await db.transaction().execute(async (tx) => {
      throw new Rollback(await fn(tx));
    });
  } catch (err) {
    if (err instanceof Rollback) return err.value as T;
    throw err;
  }
  throw new Error('unreachable: the what-if transaction did not roll back');
}
