import { Kysely, sql } from 'kysely';

/**
 * Who may reach the loop over HTTP, and what they bring to it.
 *
 * - `api_tokens`: one per person and role, stored as the SHA-256 of the token (shown once, never stored), with the
 *   units a lead answers for, an expiry and a revocation.
 * - `reply_link_revocations`: a letter's signed reply links are revoked by period (a week's letters, a day's alerts),
 *   optionally for one unit.
 * - `evidence_files`: what a lead attaches to a reply, kept in PostgreSQL with its SHA-256 (which the ledger event of
 *   the reply also records); append-only.
 *
 * Frozen once landed: change the schema with a new migration, never by editing this one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE api_tokens (
      id serial PRIMARY KEY,
      person text NOT NULL,
      role text NOT NULL CHECK (role IN ('operator', 'checker', 'lead', 'director', 'auditor')),
      units text[] NOT NULL DEFAULT '{}',
      token_hash text NOT NULL UNIQUE,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      revoked_by text,
      last_used_at timestamptz,
      CHECK (role <> 'lead' OR cardinality(units) > 0)
    )`.execute(db);

  await sql`
    CREATE TABLE reply_link_revocations (
      id serial PRIMARY KEY,
      period text NOT NULL,
      unit_code text,
      revoked_by text NOT NULL,
      reason text NOT NULL,
      revoked_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX reply_link_revocations_period ON reply_link_revocations (period)`.execute(db);

  await sql`
    CREATE TABLE evidence_files (
      id serial PRIMARY KEY,
      problem_id bigint NOT NULL REFERENCES problems (id),
      file_name text NOT NULL,
      content_type text NOT NULL,
      size integer NOT NULL,
      sha256 text NOT NULL,
      content bytea NOT NULL,
      uploaded_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX evidence_files_problem ON evidence_files (problem_id)`.execute(db);
  await sql`CREATE TRIGGER evidence_files_append_only BEFORE UPDATE OR DELETE ON evidence_files
            FOR EACH ROW EXECUTE FUNCTION duban_refuse_change()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE evidence_files`.execute(db);
  await sql`DROP TABLE reply_link_revocations`.execute(db);
  await sql`DROP TABLE api_tokens`.execute(db);
}
