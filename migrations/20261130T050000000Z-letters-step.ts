import { Kysely, sql } from 'kysely';

// Frozen once landed: change the schema with a new migration, never by editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // The weekly step is called `letters` everywhere now (it was `digest` in job_runs): weeks already done stay done.
  await sql`UPDATE job_runs SET job = 'letters' WHERE job = 'digest'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`UPDATE job_runs SET job = 'digest' WHERE job = 'letters'`.execute(db);
}
