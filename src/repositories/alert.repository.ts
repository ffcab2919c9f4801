import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { FactPart } from '../domain/anomaly-explanation';
import type { Day } from '../domain/day';
import type { UnitKind } from '../domain/letter-recipients';

/** A problem with a major anomaly on the day, and everything its rules found on it that day. */
export interface MajorProblem {
  unit_code: string;
  unit_name: string;
  unit_kind: UnitKind;
  contacts: Array<{ email?: string }>;
  indicator: string;
  problem_id: number;
  facts: FactPart[];
}

export class AlertRepository {
  constructor(private readonly db: Db) {}

  /**
   * One row per problem with a major anomaly on the day (a fact, with every rule that fired on it that day), by the
   * unit that answers for it (the data-source department for unreported data).
   */
  async majorProblems(day: Day): Promise<MajorProblem[]> {
    const r = await sql<MajorProblem>`
      SELECT o.code AS unit_code, o.name AS unit_name, o.kind AS unit_kind, o.contacts, coalesce(i.name, string_agg(DISTINCT ai.name, '、')) AS indicator,
             p.id AS problem_id,
             json_agg(json_build_object('kind', a.kind, 'ruleId', a.rule_id, 'explanation', a.explanation, 'unitName', au.name,
                                        'indicatorName', ai.name) ORDER BY a.id) AS facts
      FROM anomalies a
      JOIN problems p ON p.id = a.problem_id
      JOIN units o ON o.id = p.owner_unit_id
      JOIN units au ON au.id = a.unit_id
      JOIN indicators ai ON ai.id = a.indicator_id
      LEFT JOIN indicators i ON i.id = p.indicator_id
      WHERE a.day = ${day}::date AND a.status = 'active'
        AND EXISTS (SELECT 1 FROM anomalies m WHERE m.problem_id = p.id AND m.day = ${day}::date AND m.status = 'active' AND m.severity = 'major')
      GROUP BY o.code, o.name, o.kind, o.contacts, o.id, i.id, i.name, p.id
      ORDER BY o.code, i.id NULLS LAST, p.id`.execute(this.db);
    return r.rows;
  }

  /** Serialises the numbering of a day's notices (two evaluations of one day, the daemon and the CLI). */
  async lockDay(day: Day): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`duban-alerts-${day}`}, 0))`.execute(this.db);
  }

  /** The units already sent the day's notice, whose numbers are taken. */
  async recipientsOn(day: Day): Promise<string[]> {
    const rows = await this.db.selectFrom('outbox').select('recipient_key').where('kind', '=', 'alert').where('period', '=', day).execute();
    return rows.map((r) => r.recipient_key);
  }
}
