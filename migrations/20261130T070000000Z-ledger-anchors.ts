import { Kysely, sql } from 'kysely';
import { chainEvents, UnchainedEvent } from '../src/domain/ledger-chain';
import { digestLine, ValuesDigest } from '../src/domain/values-digest';

/**
 * What the ledger can be checked against from outside the app role's reach:
 * - observations change only by a revision: the app role inserts a revision row and this migration's trigger (owned
 *   by the owner role, run with its rights) applies it, provided it follows the stored value and run;
 * - each ingest run's values are fingerprinted in the ledger (`values_recorded`), from now on by the run itself and
 *   here for the runs before;
 * - signed checkpoints of the ledger's head are kept, and mailed to the auditors as a new kind of message.
 *
 * Frozen once landed: change the schema with a new migration, never by editing this one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The run whose value a revision replaced: with it, the values each run wrote can be told apart for ever.
  await sql`ALTER TABLE observation_revisions ADD COLUMN old_run_id bigint`.execute(db);
  await sql`
    UPDATE observation_revisions r SET old_run_id = x.prev
    FROM (SELECT rv.id, coalesce(lag(rv.run_id) OVER (PARTITION BY rv.day, rv.indicator_id, rv.unit_id ORDER BY rv.id), o.first_run_id) AS prev
          FROM observation_revisions rv JOIN observations o USING (day, indicator_id, unit_id)) x
    WHERE x.id = r.id`.execute(db);
  await sql`ALTER TABLE observation_revisions ALTER COLUMN old_run_id SET NOT NULL`.execute(db);
  await sql`CREATE INDEX observation_revisions_old_run ON observation_revisions (day, old_run_id)`.execute(db);

  // Runs with the owner's rights (SECURITY DEFINER), with a search path no session can put a table of its own in front
  // of. Set-based: one UPDATE per inserting statement, however many revisions it holds.
  await sql`
    CREATE FUNCTION duban_apply_revisions() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
      expected bigint;
      keys bigint;
      applied bigint;
    BEGIN
      SELECT count(*), count(DISTINCT (day, indicator_id, unit_id)) INTO expected, keys FROM added;
      IF keys <> expected THEN
        RAISE EXCEPTION 'duban: 同一语句中同一数值有多条修订' USING ERRCODE = 'check_violation';
      END IF;
      -- A value of a day is revised only by another run of that day.
      IF EXISTS (SELECT 1 FROM added a JOIN public.ingest_runs r ON r.id = a.run_id WHERE r.day <> a.day OR a.run_id = a.old_run_id) THEN
        RAISE EXCEPTION 'duban: 修订只能由同一天的另一采集批次作出' USING ERRCODE = 'check_violation';
      END IF;
      UPDATE public.observations o SET value = a.new_value, run_id = a.run_id, revised_at = a.revised_at
      FROM added a
      WHERE o.day = a.day AND o.indicator_id = a.indicator_id AND o.unit_id = a.unit_id
        AND o.value = a.old_value AND o.run_id = a.old_run_id;
      GET DIAGNOSTICS applied = ROW_COUNT;
      IF applied <> expected THEN
        RAISE EXCEPTION 'duban: % 条修订与现存数值或其批次不符，未予采用', expected - applied USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`REVOKE ALL ON FUNCTION duban_apply_revisions() FROM PUBLIC`.execute(db);
  await sql`CREATE TRIGGER observation_revisions_apply AFTER INSERT ON observation_revisions
            REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION duban_apply_revisions()`.execute(db);
  await sql`CREATE TRIGGER observation_revisions_append_only BEFORE UPDATE OR DELETE ON observation_revisions
            FOR EACH ROW EXECUTE FUNCTION duban_refuse_change()`.execute(db);
  await sql`CREATE TRIGGER observation_revisions_no_truncate BEFORE TRUNCATE ON observation_revisions
            FOR EACH STATEMENT EXECUTE FUNCTION duban_refuse_change()`.execute(db);

  // Signed heads of the ledger. The copies that count are outside the database (the checkpoint file, the auditors'
  // mail); these rows let the summary show them and make the daily one once per day (`slot`).
  await db.schema
    .createTable('ledger_checkpoints')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('slot', 'text', (c) => c.unique())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('event_count', 'bigint', (c) => c.notNull())
    .addColumn('head_hash', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('made_at', 'timestamptz', (c) => c.notNull())
    .addColumn('made_by', 'text', (c) => c.notNull())
    /** The signed checkpoint exactly as written to the file and the mail: one line of JSON. */
    .addColumn('line', 'text', (c) => c.notNull())
    .execute();
  await sql`CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints
            FOR EACH ROW EXECUTE FUNCTION duban_refuse_change()`.execute(db);

  await sql`ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check`.execute(db);
  await sql`ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('letter', 'alert', 'summary', 'notice', 'checkpoint'))`.execute(db);

  await fingerprintEarlierRuns(db);
}

/** A `values_recorded` event for every run that stored values before runs recorded their own. */
async function fingerprintEarlierRuns(db: Kysely<unknown>): Promise<void> {
  const runs = await sql<{ id: string; day: string; source: string; revised: number }>`
    SELECT r.id::text, r.day::text, r.source, r.revised FROM ingest_runs r
    WHERE EXISTS (SELECT 1 FROM observations o WHERE o.day = r.day AND o.run_id = r.id)
       OR EXISTS (SELECT 1 FROM observation_revisions v WHERE v.day = r.day AND v.old_run_id = r.id)
    ORDER BY r.id`.execute(db);
  if (runs.rows.length === 0) return;
  const events: UnchainedEvent[] = [];
  for (const run of runs.rows) {
    const values = await sql<{ i: string; u: string; v: string }>`
      SELECT indicator_id::text AS i, unit_id::text AS u, trim_scale(value)::text COLLATE "C" AS v FROM (
        SELECT indicator_id, unit_id, value FROM observations WHERE day = ${run.day}::date AND run_id = ${run.id}::bigint
        UNION ALL
        SELECT indicator_id, unit_id, old_value FROM observation_revisions WHERE day = ${run.day}::date AND old_run_id = ${run.id}::bigint) x
      ORDER BY indicator_id, unit_id, v`.execute(db);
    const digest = new ValuesDigest();
    for (const r of values.rows) digest.update(digestLine(r.i, r.u, r.v));
    events.push({
      type: 'values_recorded',
      actor: 'duban',
      problemId: null,
      unitId: null,
      indicatorId: null,
      ruleId: null,
      payload: { runId: Number(run.id), day: run.day, source: run.source, revised: run.revised, ...digest.result(), note: '升级时为此前的采集补记' },
    });
  }
  await sql`SELECT pg_advisory_xact_lock(hashtext('duban.ledger'))`.execute(db);
  const last = (await sql<{ seq: string; hash: string }>`SELECT seq::text, hash FROM ledger_events ORDER BY seq DESC LIMIT 1`.execute(db)).rows[0];
  for (const e of chainEvents(last, events, new Date().toISOString())) {
    await sql`
      INSERT INTO ledger_events (seq, type, actor, problem_id, unit_id, indicator_id, rule_id, payload, recorded_at, prev_hash, hash)
      VALUES (${e.seq}, ${e.type}, ${e.actor}, ${e.problemId}, ${e.unitId}, ${e.indicatorId}, ${e.ruleId}, ${JSON.stringify(e.payload)}::jsonb,
              ${e.recordedAt}, ${e.prevHash}, ${e.hash})`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // The ledger's fingerprints stay (it is append-only); the structures go.
  await sql`ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check`.execute(db);
  await sql`ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('letter', 'alert', 'summary', 'notice'))`.execute(db);
  await db.schema.dropTable('ledger_checkpoints').execute();
  await sql`DROP TRIGGER observation_revisions_no_truncate ON observation_revisions`.execute(db);
  await sql`DROP TRIGGER observation_revisions_append_only ON observation_revisions`.execute(db);
  await sql`DROP TRIGGER observation_revisions_apply ON observation_revisions`.execute(db);
  await sql`DROP FUNCTION duban_apply_revisions()`.execute(db);
  await sql`ALTER TABLE observation_revisions DROP COLUMN old_run_id`.execute(db);
}
