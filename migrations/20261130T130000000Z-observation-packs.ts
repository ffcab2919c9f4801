import { Kysely, sql } from 'kysely';

/**
 * Each day's values of each indicator kept packed beside the history, so that a day's baseline reads its window in a
 * few hundred rows instead of twenty working days × every series (issue 20).
 *
 * - `observation_packs`: per day, indicator and chunk of 4,096 unit ids, the values as pairs (unit id int4, value
 *   float8, big-endian) in unit order. Derived, never the truth: written only by the owner's triggers on
 *   `observations`, in the same statement and transaction as the values themselves, whoever writes them (an ingest, a
 *   revision applied by the owner's trigger, a bulk load, a delete), so it can never say what the history does not.
 *   Each statement repacks just the chunks it touched, from the history as it then stands: a day's ingest packs its
 *   day once (a few hundred rows), a revision one chunk. Stored uncompressed (the floats do not compress and the
 *   reader wants them fast).
 * - `duban_observation_packs_from_history()`: the packs as the history gives them; the first fill here, and the
 *   reference a test compares the kept packs with.
 *
 * The app role reads the packs (src/db/grants.ts); it cannot write them.
 *
 * Frozen once landed: change the schema with a new migration, never by editing this one.
 */
const CHUNK = 4096;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE observation_packs (
      day date NOT NULL,
      indicator_id integer NOT NULL,
      chunk integer NOT NULL,
      packed bytea NOT NULL,
      PRIMARY KEY (day, indicator_id, chunk)
    )`.execute(db);
  await sql`ALTER TABLE observation_packs ALTER COLUMN packed SET STORAGE EXTERNAL`.execute(db);

  await sql`
    CREATE FUNCTION duban_observation_packs_from_history()
    RETURNS TABLE (day date, indicator_id integer, chunk integer, packed bytea)
    LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
      SELECT o.day, o.indicator_id, o.unit_id / ${sql.lit(CHUNK)},
             string_agg(int4send(o.unit_id) || float8send(o.value::float8), ''::bytea ORDER BY o.unit_id)
      FROM observations o
      GROUP BY o.day, o.indicator_id, o.unit_id / ${sql.lit(CHUNK)}
    $$`.execute(db);
  await sql`REVOKE ALL ON FUNCTION duban_observation_packs_from_history() FROM PUBLIC`.execute(db);

  // Statement-level, on the rows the statement wrote or removed (`changed`): the chunks they fall in are packed again
  // from the history, each read as one range of the primary key; a chunk left without values goes.
  await sql`
    CREATE FUNCTION duban_observation_packs_write() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
      WITH touched AS (
        SELECT DISTINCT c.day, c.indicator_id, c.unit_id / ${sql.lit(CHUNK)} AS chunk FROM changed c),
      packs AS (
        SELECT t.day, t.indicator_id, t.chunk,
               (SELECT string_agg(int4send(o.unit_id) || float8send(o.value::float8), ''::bytea ORDER BY o.unit_id)
                FROM observations o
                WHERE o.day = t.day AND o.indicator_id = t.indicator_id
                  AND o.unit_id >= t.chunk * ${sql.lit(CHUNK)} AND o.unit_id < (t.chunk + 1) * ${sql.lit(CHUNK)}) AS packed
        FROM touched t),
      emptied AS (
        DELETE FROM observation_packs p USING packs k
        WHERE k.packed IS NULL AND p.day = k.day AND p.indicator_id = k.indicator_id AND p.chunk = k.chunk)
      INSERT INTO observation_packs AS p (day, indicator_id, chunk, packed)
      SELECT k.day, k.indicator_id, k.chunk, k.packed FROM packs k WHERE k.packed IS NOT NULL
      ORDER BY 1, 2, 3
      ON CONFLICT (day, indicator_id, chunk) DO UPDATE SET packed = excluded.packed;
      RETURN NULL;
    END $$`.execute(db);
  for (const [name, event, transition] of [
    ['observation_packs_insert', 'INSERT', 'NEW'],
    ['observation_packs_update', 'UPDATE', 'NEW'],
    ['observation_packs_delete', 'DELETE', 'OLD'],
  ] as const) {
    await sql`CREATE TRIGGER ${sql.id(name)} AFTER ${sql.raw(event)} ON observations REFERENCING ${sql.raw(transition)} TABLE AS changed
              FOR EACH STATEMENT EXECUTE FUNCTION duban_observation_packs_write()`.execute(db);
  }
  await sql`
    CREATE FUNCTION duban_observation_packs_clear() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
      TRUNCATE observation_packs;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER observation_packs_truncate AFTER TRUNCATE ON observations
            FOR EACH STATEMENT EXECUTE FUNCTION duban_observation_packs_clear()`.execute(db);

  await sql`INSERT INTO observation_packs SELECT * FROM duban_observation_packs_from_history()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER observation_packs_truncate ON observations`.execute(db);
  for (const name of ['observation_packs_delete', 'observation_packs_update', 'observation_packs_insert']) {
    await sql`DROP TRIGGER ${sql.id(name)} ON observations`.execute(db);
  }
  await sql`DROP FUNCTION duban_observation_packs_clear()`.execute(db);
  await sql`DROP FUNCTION duban_observation_packs_write()`.execute(db);
  await sql`DROP FUNCTION duban_observation_packs_from_history()`.execute(db);
  await sql`DROP TABLE observation_packs`.execute(db);
}
