import { sql } from 'kysely';
import type { Db } from '../db/database';

export interface SeriesDay {
  indicator_id: number;
  unit_id: number;
  day: string;
}

/** Stored values as evidence: which series reported on which days. */
export class ObservationRepository {
  constructor(private readonly db: Db) {}

  /**
   * Of these series and days, those without a value, as `indicator/unit/day`: usually few of many (a confirmation
   * window's days mostly have their values). An anti-join that probes the primary key once per key, written as a
   * subquery per key so that it stays one whatever the planner makes of the sizes: a hash or merge join would read
   * every value of the table for tens of thousands of keys.
   */
  async missing(keys: SeriesDay[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const r = await sql<{ k: string }>`
      SELECT k.indicator_id || '/' || k.unit_id || '/' || k.day AS k
      FROM unnest(${keys.map((k) => k.day)}::date[], ${keys.map((k) => k.indicator_id)}::int[], ${keys.map((k) => k.unit_id)}::int[])
           AS k(day, indicator_id, unit_id)
      WHERE (SELECT true FROM observations o WHERE o.day = k.day AND o.indicator_id = k.indicator_id AND o.unit_id = k.unit_id) IS NULL`.execute(
      this.db,
    );
    return new Set(r.rows.map((x) => x.k));
  }

  /** The latest day with any value. */
  async latestDay(): Promise<string | null> {
    const r = await sql<{ day: string | null }>`SELECT max(day)::text AS day FROM observations`.execute(this.db);
    return r.rows[0]?.day ?? null;
  }

  /** A unit's values from `from` to `to` (one indicator, or all), oldest first. */
  async series(unitCode: string, indicatorCode: string | undefined, from: string, to: string) {
    let q = this.db
      .selectFrom('observations as o')
      .innerJoin('units as u', 'u.id', 'o.unit_id')
      .innerJoin('indicators as i', 'i.id', 'o.indicator_id')
      .select(['o.day', 'i.code as indicator_code', 'i.name as indicator', 'i.unit as measure', 'o.value', 'o.revised_at'])
      .where('u.code', '=', unitCode)
      .where('o.day', '>=', from)
      .where('o.day', '<=', to);
    if (indicatorCode) q = q.where('i.code', '=', indicatorCode);
    return q.orderBy('o.day').orderBy('i.id').execute();
  }
}
