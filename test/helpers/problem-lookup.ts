import { sql } from 'kysely';
import type { Db } from '../../src/db/database';

/**
 * The id of the (first) problem about a unit's indicator: its value problem, or the missing-data problem that lists
 * the indicator.
 */
export async function problemIdOf(db: Db, unit: string, indicator: string, kind: 'value' | 'missing' = 'value'): Promise<number> {
  const r = await sql<{ id: number }>`
    SELECT p.id FROM problems p JOIN units u ON u.id = p.unit_id
    WHERE u.code = ${unit} AND p.kind = ${kind}
      AND EXISTS (SELECT 1 FROM anomalies a JOIN indicators i ON i.id = a.indicator_id WHERE a.problem_id = p.id AND i.code = ${indicator})
    ORDER BY p.id LIMIT 1`.execute(db);
  if (!r.rows[0]) throw new Error(`no ${kind} problem of ${unit} ${indicator}`);
  return r.rows[0].id;
}
