import { RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database';
import type { IndicatorVersionRow } from '../db/schema';
import type { Thresholds } from '../domain/indicator-thresholds';

/** A version with the code and name of its indicator. */
export type IndicatorVersion = IndicatorVersionRow & { code: string; name: string };

/** The catalogue as it judged a day, as SQL for a FROM clause: see the `indicators_on` function (its migration). */
export function indicatorsOn(day: string, asOf?: RawBuilder<Date>): RawBuilder<unknown> {
  return sql`indicators_on(${day}::date, ${asOf ?? null}::timestamptz)`;
}

/** Indicator thresholds as versions: never changed in place (an owner's trigger refuses it), only added to. */
export class IndicatorVersionRepository {
  constructor(private readonly db: Db) {}

  /** The newest version of each indicator (active or not). */
  async latest(): Promise<IndicatorVersion[]> {
    const r = await sql<IndicatorVersion>`
      SELECT DISTINCT ON (v.indicator_id) v.*, i.code, i.name
      FROM indicator_versions v JOIN indicators i ON i.id = v.indicator_id
      ORDER BY v.indicator_id, v.version DESC`.execute(this.db);
    return r.rows;
  }

  /** The version of each active indicator in force on `day`, in catalogue order. */
  async inForceOn(day: string, asOf?: RawBuilder<Date>): Promise<IndicatorVersion[]> {
    const r = await sql<IndicatorVersion>`
      SELECT v.*, i.code, i.name
      FROM ${indicatorsOn(day, asOf)} i JOIN indicator_versions v ON v.id = i.version_id
      WHERE i.active ORDER BY i.id`.execute(this.db);
    return r.rows;
  }

  /** Versions stored and not yet in force on `day` (effective later), oldest first. */
  async pendingAfter(day: string): Promise<IndicatorVersion[]> {
    const r = await sql<IndicatorVersion>`
      SELECT v.*, i.code, i.name
      FROM indicator_versions v JOIN indicators i ON i.id = v.indicator_id
      WHERE v.effective_from > ${day}::date AND i.active
        AND v.version > coalesce((SELECT f.version FROM ${indicatorsOn(day)} f WHERE f.id = v.indicator_id), 0)
      ORDER BY v.effective_from, i.id, v.version`.execute(this.db);
    return r.rows;
  }

  async history(indicatorId: number): Promise<IndicatorVersion[]> {
    const r = await sql<IndicatorVersion>`
      SELECT v.*, i.code, i.name FROM indicator_versions v JOIN indicators i ON i.id = v.indicator_id
      WHERE v.indicator_id = ${indicatorId} ORDER BY v.version`.execute(this.db);
    return r.rows;
  }

  /** Ids of indicators by code (the catalogue is synced before versions are stored). */
  async indicatorIds(codes: string[]): Promise<Map<string, number>> {
    if (codes.length === 0) return new Map();
    const rows = await this.db.selectFrom('indicators').select(['id', 'code']).where('code', 'in', codes).execute();
    return new Map(rows.map((r) => [r.code, r.id]));
  }

  async insert(
    rows: Array<{ indicator_id: number; version: number; thresholds: Thresholds; created_by: string; reason: string; effective_from: string }>,
  ): Promise<IndicatorVersionRow[]> {
    if (rows.length === 0) return [];
    return this.db
      .insertInto('indicator_versions')
      .values(
        rows.map((r) => ({
          indicator_id: r.indicator_id,
          version: r.version,
          kind: r.thresholds.kind,
          direction: r.thresholds.direction,
          alert_value: r.thresholds.alert,
          benchmark_value: r.thresholds.benchmark,
          weight: r.thresholds.weight,
          scope: JSON.stringify(r.thresholds.scope),
          created_by: r.created_by,
          reason: r.reason,
          effective_from: r.effective_from,
        })),
      )
      .returningAll()
      .execute();
  }

  /** Serialises applying thresholds (and the catalogue's first versions), so two cannot both store "version 3". */
  async lock(): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtext('duban.thresholds'))`.execute(this.db);
  }
}

/** A stored version's thresholds, as the domain compares them. */
export function thresholdsOf(v: Pick<IndicatorVersionRow, 'kind' | 'direction' | 'alert_value' | 'benchmark_value' | 'weight' | 'scope'>): Thresholds {
  return {
    kind: v.kind,
    direction: v.direction,
    alert: v.alert_value === null ? null : Number(v.alert_value),
    benchmark: v.benchmark_value === null ? null : Number(v.benchmark_value),
    weight: Number(v.weight),
    scope: v.scope,
  };
}
