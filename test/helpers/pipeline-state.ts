import { sql } from 'kysely';
import type { Db } from '../../src/db/database';
import { IngestRunRepository } from '../../src/repositories/ingest-run.repository';

/**
 * Whether the daemon has finished what `days` and `week` ask of it: every day ingested, each day judged and
 * reconciled after the run its verdict follows (`windowDays`: the config's `ingest.lookbackDays`), the week's letters
 * written, and nothing left in the outbox. Read from Postgres only.
 */
export async function pipelineDone(db: Db, days: string[], week: string, windowDays: number): Promise<{ done: boolean; missing: string[] }> {
  const missing: string[] = [];
  const runs = await db.selectFrom('job_runs').select(['job', 'slot', 'status']).execute();
  const ok = new Set(runs.filter((r) => r.status === 'succeeded').map((r) => `${r.job}-${r.slot}`));
  for (const day of days) if (!ok.has(`ingest-${day}`)) missing.push(`ingest-${day}`);
  const verdicts = await new IngestRunRepository(db).verdictRuns(days[0]!, days.at(-1)!, windowDays);
  for (const [day, run] of verdicts) for (const job of ['evaluate', 'reconcile', 'alerts']) if (!ok.has(`${job}-${day}-r${run}`)) missing.push(`${job}-${day}-r${run}`);
  for (const job of ['letters', 'summary']) if (!ok.has(`${job}-${week}`)) missing.push(`${job}-${week}`);
  const pending = await db.selectFrom('outbox').select('message_id').where('status', '=', 'pending').execute();
  missing.push(...pending.map((p) => `outbox ${p.message_id}`));
  return { done: missing.length === 0, missing };
}

/**
 * What a run leaves behind, by natural keys (codes, days, rule ids) rather than serial ids, which a rolled-back
 * transaction skips: two databases that went through the same days compare equal exactly when they hold the same facts.
 */
export type PipelineSnapshot = Record<'observations' | 'anomalies' | 'problems' | 'letters' | 'outbox' | 'ledger', string[]>;

export async function pipelineSnapshot(db: Db): Promise<PipelineSnapshot> {
  const rows = async (q: ReturnType<typeof sql<{ r: string }>>) => (await q.execute(db)).rows.map((x) => x.r);
  const problemKey = sql`(i.code || '/' || u.code || '/' || p.kind || '/' || p.first_seen)`;
  const anomalyKey = (alias: string) => sql.raw(`(${alias}.rule_id || '/' || ${alias}.day)`);
  return {
    observations: await rows(sql<{ r: string }>`
      SELECT concat_ws('|', o.day, i.code, u.code, o.value, o.revised_at IS NOT NULL) AS r
      FROM observations o JOIN indicators i ON i.id = o.indicator_id JOIN units u ON u.id = o.unit_id ORDER BY r`),
    anomalies: await rows(sql<{ r: string }>`
      SELECT concat_ws('|', ${anomalyKey('a')}, i.code, u.code, a.kind, a.severity, a.observed_value, a.expected_value, a.explanation, ${problemKey}) AS r
      FROM anomalies a JOIN indicators i ON i.id = a.indicator_id JOIN units u ON u.id = a.unit_id
      LEFT JOIN problems p ON p.id = a.problem_id
      WHERE a.status = 'active' ORDER BY r`),
    problems: await rows(sql<{ r: string }>`
      SELECT concat_ws('|', ${problemKey}, ou.code, p.category, p.state, p.severity, p.last_seen, p.anomaly_count, p.worst_value,
                       p.reopen_count, p.data_confirmed, p.escalation, p.assigned_on, p.deadline, p.closed_on, l.letter_no) AS r
      FROM problems p JOIN indicators i ON i.id = p.indicator_id JOIN units u ON u.id = p.unit_id JOIN units ou ON ou.id = p.owner_unit_id
      LEFT JOIN letters l ON l.id = p.letter_id ORDER BY r`),
    letters: await rows(sql<{ r: string }>`
      SELECT concat_ws('|', l.week, u.code, l.seq, l.letter_no, l.letter_day, o.message_id, o.subject, cardinality(l.problem_ids), cardinality(l.assigned_ids)) AS r
      FROM letters l JOIN units u ON u.id = l.unit_id JOIN outbox o ON o.id = l.outbox_id ORDER BY r`),
    outbox: await rows(sql<{ r: string }>`
      SELECT concat_ws('|', kind, recipient_key, period, message_id, status, subject, to_addresses::text,
                       regexp_replace(text, '问题 \\d+', '问题 #', 'g')) AS r
      FROM outbox ORDER BY r`),
    // Event by event, with ids put as keys; a delivery's attempt count and outbox id are left out, since a message
    // resent after a crash is the same fact delivered on a later attempt, and so is an ingest run's id (its day and
    // source say which it is; a run cut off by a crash used an id).
    ledger: await rows(sql<{ r: string }>`
      SELECT concat_ws('|', e.type, e.actor, ${problemKey}, eu.code, ei.code, e.rule_id,
                       (e.payload - 'outboxId' - 'attempts' - 'anomalyIds' - 'problems' - 'assigns' - 'ownerUnitId' - 'runId')::text,
                       jsonb_array_length(e.payload->'anomalyIds'), jsonb_array_length(e.payload->'problems'),
                       jsonb_array_length(e.payload->'assigns'), owner.code) AS r
      FROM ledger_events e
      LEFT JOIN problems p ON p.id = e.problem_id LEFT JOIN indicators i ON i.id = p.indicator_id LEFT JOIN units u ON u.id = p.unit_id
      LEFT JOIN units eu ON eu.id = e.unit_id LEFT JOIN indicators ei ON ei.id = e.indicator_id
      LEFT JOIN units owner ON owner.id = (e.payload->>'ownerUnitId')::int
      ORDER BY r`),
  };
}
