import { Kysely, sql } from 'kysely';
import { chainEvents, UnchainedEvent } from '../src/domain/ledger-chain';
import { mergeDuplicates, ProblemStatus } from '../src/domain/problem-state';

/**
 * A problem is a fact, not a rule hit: one live problem per series (indicator × unit) whatever rules fired on it, and
 * one per unit and data supplier for missing data. Duplicates left from before are merged into the oldest, each merge
 * decided by the domain and recorded in the ledger.
 *
 * Frozen once landed: change the schema with a new migration, never by editing this one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Which units an indicator applies to, so missing data is asked only of those expected to report it.
  await sql`ALTER TABLE indicators ADD COLUMN scope jsonb NOT NULL DEFAULT '"all"'`.execute(db);
  // The ingest run whose data an evaluation judged: a day counts towards confirming a recovery only once judged on its
  // current data. Earlier daemon evaluations said so in their trigger.
  await sql`ALTER TABLE evaluation_runs ADD COLUMN after_run bigint`.execute(db);
  await sql`UPDATE evaluation_runs SET after_run = substring(trigger from '^ingest run ([0-9]+)$')::bigint WHERE trigger ~ '^ingest run [0-9]+$'`.execute(db);

  await sql`ALTER TABLE problems ALTER COLUMN indicator_id DROP NOT NULL`.execute(db);
  await sql`ALTER TABLE problems ADD COLUMN rules text[] NOT NULL DEFAULT '{}', ADD COLUMN first_value numeric,
            ADD COLUMN latest_value numeric, ADD COLUMN merged_into bigint REFERENCES problems(id)`.execute(db);
  await sql`ALTER TABLE problems DROP CONSTRAINT problems_state_check`.execute(db);
  await sql`ALTER TABLE problems ADD CONSTRAINT problems_state_check
            CHECK (state IN ('open', 'assigned', 'pending_verification', 'closed', 'dismissed', 'merged'))`.execute(db);
  await sql`DROP INDEX problems_one_live`.execute(db);

  await sql`
    UPDATE problems p SET
      rules = coalesce((SELECT array_agg(DISTINCT a.rule_id ORDER BY a.rule_id) FROM anomalies a WHERE a.problem_id = p.id), '{}'),
      first_value = (SELECT a.observed_value FROM anomalies a WHERE a.problem_id = p.id ORDER BY a.day, a.id LIMIT 1),
      latest_value = (SELECT a.observed_value FROM anomalies a WHERE a.problem_id = p.id ORDER BY a.day DESC, a.id DESC LIMIT 1),
      kind = CASE WHEN p.kind = 'missing' THEN 'missing' ELSE 'value' END,
      indicator_id = CASE WHEN p.kind = 'missing' THEN NULL ELSE p.indicator_id END`.execute(db);
  await sql`ALTER TABLE problems ADD CONSTRAINT problems_kind_check CHECK (kind IN ('value', 'missing'))`.execute(db);

  await mergeLiveDuplicates(db);

  await sql`CREATE UNIQUE INDEX problems_one_live_value ON problems (indicator_id, unit_id)
            WHERE kind = 'value' AND state IN ('open', 'assigned', 'pending_verification')`.execute(db);
  await sql`CREATE UNIQUE INDEX problems_one_live_missing ON problems (unit_id, owner_unit_id)
            WHERE kind = 'missing' AND state IN ('open', 'assigned', 'pending_verification')`.execute(db);
}

interface Row {
  id: number;
  grp: string;
  state: ProblemStatus['state'];
  data_confirmed: boolean;
  signed_off_by: string | null;
  assigned_on: string | null;
  deadline: string | null;
  closed_on: string | null;
  escalation: ProblemStatus['escalation'];
  reopen_count: number;
  letter_id: number | null;
  unit_id: number;
  indicator_id: number | null;
  last_seen: string;
}

const REASON = '同一事实（同一单位、同一指标，或同一单位同一数据来源的缺报）只保留一个问题：合并此前按规则类型分开的重复问题';

async function mergeLiveDuplicates(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<Row>`
    SELECT id, CASE kind WHEN 'value' THEN 'v/' || indicator_id || '/' || unit_id ELSE 'm/' || unit_id || '/' || owner_unit_id END AS grp,
           state, data_confirmed, signed_off_by, assigned_on::text, deadline::text, closed_on::text, escalation, reopen_count,
           letter_id, unit_id, indicator_id, last_seen::text
    FROM problems WHERE state IN ('open', 'assigned', 'pending_verification') ORDER BY id`.execute(db);
  const groups = new Map<string, Row[]>();
  for (const r of rows) groups.set(r.grp, [...(groups.get(r.grp) ?? []), r]);
  const events: UnchainedEvent[] = [];
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    const day = members.map((m) => m.last_seen).sort().at(-1)!;
    const decisions = mergeDuplicates(members.map((m) => ({ id: m.id, status: statusOf(m) })), day, REASON);
    const [survivor, ...absorbed] = decisions;
    const absorbedIds = absorbed.map((a) => a.id);
    // The anomalies and what they add up to go to the survivor.
    await sql`UPDATE anomalies SET problem_id = ${survivor!.id} WHERE problem_id = ANY(${absorbedIds}::bigint[])`.execute(db);
    await sql`
      UPDATE problems p SET
        anomaly_count = s.n, first_seen = s.first_seen, last_seen = s.last_seen, rules = s.rules,
        severity = CASE WHEN s.major THEN 'major' ELSE 'warning' END,
        worst_value = CASE WHEN i.direction = 'lower' THEN s.max_value ELSE s.min_value END,
        first_value = (SELECT a.observed_value FROM anomalies a WHERE a.problem_id = p.id ORDER BY a.day, a.id LIMIT 1),
        latest_value = (SELECT a.observed_value FROM anomalies a WHERE a.problem_id = p.id ORDER BY a.day DESC, a.id DESC LIMIT 1)
      FROM (SELECT count(*)::int AS n, min(day) AS first_seen, max(day) AS last_seen,
                   array_agg(DISTINCT rule_id ORDER BY rule_id) AS rules, bool_or(severity = 'major') AS major,
                   min(observed_value) AS min_value, max(observed_value) AS max_value
            FROM anomalies WHERE problem_id = ${survivor!.id}) s
      LEFT JOIN indicators i ON i.id = (SELECT indicator_id FROM problems WHERE id = ${survivor!.id})
      WHERE p.id = ${survivor!.id}`.execute(db);
    for (const { id, decision } of decisions) {
      const s = decision.status;
      await sql`
        UPDATE problems SET state = ${s.state}, data_confirmed = ${s.dataConfirmed}, signed_off_by = ${s.signedOffBy},
               assigned_on = ${s.assignedOn}::date, deadline = ${s.deadline}::date, closed_on = ${s.closedOn}::date,
               escalation = ${s.escalation}, reopen_count = ${s.reopenCount}, letter_id = ${s.letterId},
               merged_into = ${id === survivor!.id ? null : survivor!.id}, updated_at = now()
        WHERE id = ${id}`.execute(db);
      const m = members.find((x) => x.id === id)!;
      events.push({ ...decision.event, actor: 'duban', problemId: String(id), unitId: m.unit_id, indicatorId: m.indicator_id, ruleId: null });
    }
  }
  if (events.length === 0) return;
  await sql`SELECT pg_advisory_xact_lock(hashtext('duban.ledger'))`.execute(db);
  const last = (await sql<{ seq: string; hash: string }>`SELECT seq::text, hash FROM ledger_events ORDER BY seq DESC LIMIT 1`.execute(db)).rows[0];
  for (const e of chainEvents(last, events, new Date().toISOString())) {
    await sql`
      INSERT INTO ledger_events (seq, type, actor, problem_id, unit_id, indicator_id, rule_id, payload, recorded_at, prev_hash, hash)
      VALUES (${e.seq}, ${e.type}, ${e.actor}, ${e.problemId}, ${e.unitId}, ${e.indicatorId}, ${e.ruleId}, ${JSON.stringify(e.payload)}::jsonb,
              ${e.recordedAt}, ${e.prevHash}, ${e.hash})`.execute(db);
  }
}

function statusOf(r: Row): ProblemStatus {
  return {
    state: r.state,
    dataConfirmed: r.data_confirmed,
    signedOffBy: r.signed_off_by,
    assignedOn: r.assigned_on,
    deadline: r.deadline,
    closedOn: r.closed_on,
    escalation: r.escalation,
    reopenCount: r.reopen_count,
    letterId: r.letter_id,
  };
}

export async function down(): Promise<void> {
  // Merged facts cannot be split back into rule hits.
  throw new Error('20261130T060000000Z-problem-facts cannot be undone: restore the backup taken before it');
}
