import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { ApiTokenRow } from '../db/schema';
import type { ApiRole } from '../domain/access-policy';

/** API tokens (stored as hashes) and revoked reply links. */
export class ApiTokenRepository {
  constructor(private readonly db: Db) {}

  async insert(row: { person: string; role: ApiRole; units: string[]; token_hash: string; created_by: string; expires_at: Date }): Promise<ApiTokenRow> {
    return this.db.insertInto('api_tokens').values(row).returningAll().executeTakeFirstOrThrow();
  }

  /** The token with this hash, if it is neither revoked nor expired at `at`. */
  async activeByHash(hash: string, at: Date): Promise<ApiTokenRow | undefined> {
    return this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', at)
      .executeTakeFirst();
  }

  /** Notes a token's use, at most once a minute (a busy client would otherwise write on every request). */
  async noteUse(id: number): Promise<void> {
    await sql`UPDATE api_tokens SET last_used_at = now()
              WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`.execute(this.db);
  }

  async list(): Promise<ApiTokenRow[]> {
    return this.db.selectFrom('api_tokens').selectAll().orderBy('id').execute();
  }

  async revoke(id: number, by: string): Promise<boolean> {
    const r = await this.db.updateTable('api_tokens').set({ revoked_at: sql`now()`, revoked_by: by }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async revokeLinks(row: { period: string; unit_code: string | null; revoked_by: string; reason: string }): Promise<void> {
    await this.db.insertInto('reply_link_revocations').values(row).execute();
  }

  /** Whether reply links of this period (for this unit, or for all units) were revoked. */
  async linkRevoked(period: string, unit: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('reply_link_revocations')
      .select('id')
      .where('period', '=', period)
      .where((eb) => eb.or([eb('unit_code', 'is', null), eb('unit_code', '=', unit)]))
      .executeTakeFirst();
    return row !== undefined;
  }
}
