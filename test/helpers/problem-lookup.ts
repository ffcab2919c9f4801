import type { Db } from '../../src/db/database';

/** The id of the (first) problem of a unit, indicator and kind of rule, by their codes. */
export async function problemIdOf(db: Db, unit: string, indicator: string, kind: string): Promise<number> {
  const p = await db
    .selectFrom('problems as p')
    .innerJoin('units as u', 'u.id', 'p.unit_id')
    .innerJoin('indicators as i', 'i.id', 'p.indicator_id')
    .select('p.id')
    .where('u.code', '=', unit)
    .where('i.code', '=', indicator)
    .where('p.kind', '=', kind)
    .orderBy('p.id')
    .executeTakeFirstOrThrow();
  return p.id;
}
