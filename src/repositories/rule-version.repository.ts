import { RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database';
import type { RuleVersionRow } from '../db/schema';

export class RuleVersionRepository {
  constructor(private readonly db: Db) {}

  /** The newest version of every rule, retired ones included. */
  async latest(): Promise<RuleVersionRow[]> {
    return this.db
      .selectFrom('rule_versions')
      .selectAll()
      .distinctOn('rule_id')
      .orderBy('rule_id')
      .orderBy('version', 'desc')
      .execute();
  }

  /** The version of each rule in force on `day` (the newest effective by then), retired rules left out. */
  async inForceOn(day: string, asOf?: RawBuilder<Date>): Promise<RuleVersionRow[]> {
    let q = this.db.selectFrom('rule_versions').selectAll();
    // A replay sees only the versions that existed when the day was judged.
    if (asOf) q = q.where('created_at', '<=', asOf);
    const rows = await q
      .distinctOn('rule_id')
      .where('effective_from', '<=', day)
      .orderBy('rule_id')
      .orderBy('version', 'desc')
      .execute();
    return rows.filter((r) => r.definition !== null);
  }

  /** Versions stored that are not yet in force on `day` (effective later), soonest first. */
  async pendingAfter(day: string): Promise<RuleVersionRow[]> {
    const r = await sql<RuleVersionRow>`
      SELECT v.* FROM rule_versions v
      WHERE v.effective_from > ${day}::date
        AND v.version > coalesce((SELECT max(w.version) FROM rule_versions w WHERE w.rule_id = v.rule_id AND w.effective_from <= ${day}::date), 0)
      ORDER BY v.effective_from, v.rule_id, v.version`.execute(this.db);
    return r.rows;
  }

  async history(ruleId: string): Promise<RuleVersionRow[]> {
    return this.db.selectFrom('rule_versions').selectAll().where('rule_id', '=', ruleId).orderBy('version').execute();
  }

  async insert(
    rows: Array<{ rule_id: string; version: number; definition: string | null; digest: string; created_by: string; reason: string; effective_from: string }>,
  ): Promise<RuleVersionRow[]> {
    if (rows.length === 0) return [];
    return this.db.insertInto('rule_versions').values(rows).returningAll().execute();
  }

  /** Serialises concurrent `rules apply` so two operators cannot both store "version 3". */
  async lock(): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtext('duban.rules'))`.execute(this.db);
  }
}
