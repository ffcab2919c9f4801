import { Kysely, sql } from 'kysely';

/**
 * Thresholds as versions. What a verdict reads of an indicator — its kind, direction, 预警值 (alert), 先进值
 * (benchmark), weight and scope — moves out of `indicators`, where catalogue sync overwrote it in place, into
 * append-only versions with who, why and from which day. `indicators` keeps what names and reads the indicator
 * (code, name, unit, formula, source, header aliases, active).
 *
 * `indicators_on(day, as_of)` is the catalogue as it judged `day`: each indicator with the newest of its versions
 * effective by then (and, for a replay, stored by `as_of`). A plain SQL function, so the planner inlines it into the
 * statements that use it.
 *
 * Existing values become version 1 of each indicator, stored when the indicator was (so a replay of an earlier
 * evaluation finds it), effective from 1 January of the year of the earliest data or rule.
 *
 * Frozen once landed: change the schema with a new migration, never by editing this one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE indicator_versions (
      id serial PRIMARY KEY,
      indicator_id integer NOT NULL REFERENCES indicators (id),
      version integer NOT NULL,
      kind text NOT NULL CHECK (kind IN ('percent', 'count', 'number')),
      direction text NOT NULL CHECK (direction IN ('higher', 'lower')),
      alert_value numeric,
      benchmark_value numeric,
      weight numeric NOT NULL,
      scope jsonb NOT NULL,
      created_by text NOT NULL,
      reason text NOT NULL,
      effective_from date NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT indicator_versions_indicator_version UNIQUE (indicator_id, version)
    )`.execute(db);
  await sql`CREATE TRIGGER indicator_versions_append_only BEFORE UPDATE OR DELETE ON indicator_versions
            FOR EACH ROW EXECUTE FUNCTION duban_refuse_change()`.execute(db);

  await sql`
    INSERT INTO indicator_versions (indicator_id, version, kind, direction, alert_value, benchmark_value, weight, scope,
                                    created_by, reason, effective_from, created_at)
    SELECT i.id, 1, i.kind, i.direction, i.alert_value, i.benchmark_value, i.weight, i.scope,
           'duban', '升级：指标目录中的阈值存为第 1 版',
           make_date(extract(year FROM least((SELECT min(day) FROM observations), (SELECT min(effective_from) FROM rule_versions),
                                             current_date))::int, 1, 1),
           i.created_at
    FROM indicators i`.execute(db);

  // Which thresholds judged each anomaly: the auditor's answer to "judged against which 预警值?", and what a replay
  // compares. Anomalies recorded before versions existed were judged by version 1.
  await sql`ALTER TABLE anomalies ADD COLUMN indicator_version_id integer REFERENCES indicator_versions (id)`.execute(db);
  await sql`UPDATE anomalies a SET indicator_version_id = v.id FROM indicator_versions v WHERE v.indicator_id = a.indicator_id`.execute(db);

  await sql`
    ALTER TABLE indicators DROP COLUMN kind, DROP COLUMN direction, DROP COLUMN alert_value, DROP COLUMN benchmark_value,
                           DROP COLUMN weight, DROP COLUMN scope`.execute(db);

  await sql`
    CREATE FUNCTION indicators_on(p_day date, p_as_of timestamptz DEFAULT NULL)
    RETURNS TABLE (id integer, code text, name text, unit text, formula text, source_system text, source_department text,
                   header_aliases text[], active boolean, kind text, direction text, alert_value numeric,
                   benchmark_value numeric, weight numeric, scope jsonb, version_id integer, version integer)
    LANGUAGE sql STABLE AS $$
      SELECT i.id, i.code, i.name, i.unit, i.formula, i.source_system, i.source_department, i.header_aliases, i.active,
             v.kind, v.direction, v.alert_value, v.benchmark_value, v.weight, v.scope, v.id, v.version
      FROM indicators i
      JOIN LATERAL (SELECT * FROM indicator_versions iv
                    WHERE iv.indicator_id = i.id AND iv.effective_from <= p_day AND (p_as_of IS NULL OR iv.created_at <= p_as_of)
                    ORDER BY iv.version DESC LIMIT 1) v ON true
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION indicators_on(date, timestamptz)`.execute(db);
  await sql`
    ALTER TABLE indicators ADD COLUMN kind text, ADD COLUMN direction text, ADD COLUMN alert_value numeric,
                           ADD COLUMN benchmark_value numeric, ADD COLUMN weight numeric NOT NULL DEFAULT 0,
                           ADD COLUMN scope jsonb NOT NULL DEFAULT '"all"'`.execute(db);
  await sql`
    UPDATE indicators i SET kind = v.kind, direction = v.direction, alert_value = v.alert_value,
                            benchmark_value = v.benchmark_value, weight = v.weight, scope = v.scope
    FROM (SELECT DISTINCT ON (indicator_id) * FROM indicator_versions ORDER BY indicator_id, version DESC) v
    WHERE v.indicator_id = i.id`.execute(db);
  await sql`ALTER TABLE indicators ALTER COLUMN kind SET NOT NULL, ALTER COLUMN direction SET NOT NULL,
            ADD CHECK (kind IN ('percent', 'count', 'number')), ADD CHECK (direction IN ('higher', 'lower'))`.execute(db);
  await sql`ALTER TABLE anomalies DROP COLUMN indicator_version_id`.execute(db);
  await sql`DROP TABLE indicator_versions`.execute(db);
}
