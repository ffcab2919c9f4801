import type { Db } from '../db/database';

export class GoLiveRepository {
  constructor(private readonly db: Db) {}

  /** Records the first start; a later start (or another daemon's) leaves it as it is. Returns the first start. */
  async record(at: Date, host: string): Promise<Date> {
    await this.db.insertInto('go_live').values({ started_at: at, host }).onConflict((oc) => oc.column('only_row').doNothing()).execute();
    return (await this.firstStart())!;
  }

  async firstStart(): Promise<Date | undefined> {
    return (await this.db.selectFrom('go_live').select('started_at').executeTakeFirst())?.started_at;
  }
}
