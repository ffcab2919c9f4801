import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { Day } from '../domain/day';
import type { OutboxRow, ProblemRow } from '../db/schema';
import { DEADLINE_STATES, LIVE_STATES } from '../domain/problem-state';

export const OUTBOX_STATUSES = ['pending', 'delivered', 'failed'] as const;

/** What /metrics reads from Postgres at each scrape: small aggregates, one statement each. */
export class OpsRepository {
  constructor(private readonly db: Db) {}

  /** Live problems by state; closed and dismissed ones only grow and say nothing about the backlog. */
  async liveProblemsByState(): Promise<Array<{ state: ProblemRow['state']; count: number }>> {
    return this.db
      .selectFrom('problems')
      .select(['state', (eb) => eb.fn.countAll<number>().as('count')])
      .where('state', 'in', [...LIVE_STATES])
      .groupBy('state')
      .execute();
  }

  /** Problems being fixed or checked whose deadline was before `today` (a day in the configured zone). */
  async overdueProblems(today: Day): Promise<number> {
    const row = await this.db
      .selectFrom('problems')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('state', 'in', [...DEADLINE_STATES])
      .where('deadline', '<', today)
      .executeTakeFirstOrThrow();
    return row.count;
  }

  async outboxByStatus(): Promise<Array<{ status: OutboxRow['status']; count: number }>> {
    return this.db
      .selectFrom('outbox')
      .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('status')
      .execute();
  }

  /** Age of the oldest message still waiting to be delivered; 0 when none waits. */
  async oldestPendingOutboxSeconds(): Promise<number> {
    const row = await this.db
      .selectFrom('outbox')
      .select(sql<number>`coalesce(extract(epoch from now() - min(created_at)), 0)::float8`.as('seconds'))
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    return row.seconds;
  }
}
