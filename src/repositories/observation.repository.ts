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

  /** Of these series and days, those with a value, as `indicator/unit/day`. */
  async present(keys: SeriesDay[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const r = await sql<{ k: string }>`
      SELECT o.indicator_id || '/' || o.unit_id || '/' || o.day AS k
      FROM observations o
      JOIN unnest(${keys.map((k) => k.day)}::date[], ${keys.map((k) => k.indicator_id)}::int[], ${keys.map((k) => k.unit_id)}::int[])
           AS k(day, indicator_id, unit_id)
        ON o.day = k.day AND o.indicator_id = k.indicator_id AND o.unit_id = k.unit_id`.execute(this.db);
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
