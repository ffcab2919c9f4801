import { hostname } from 'node:os';
import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { alertsHeldBack, GoLive, goLiveOf, lettersHeldBack } from '../domain/go-live';
import { GoLiveRepository } from '../repositories/go-live.repository';

/** When duban went live on this database, and what that holds back (src/domain/go-live.ts). */
export class GoLiveService {
  private readonly repo: GoLiveRepository;

  constructor(private readonly deps: { db: Db; config: Pick<DubanConfig, 'timezone' | 'delivery' | 'ingest'>; now: () => Date }) {
    this.repo = new GoLiveRepository(deps.db);
  }

  /** At a daemon's start: the first start is go-live unless the configuration names a day. */
  async recordStart(): Promise<GoLive> {
    const first = await this.repo.record(this.deps.now(), hostname());
    return goLiveOf(this.deps.config.delivery.goLive, first, this.deps.config.timezone)!;
  }

  /** Undefined until a daemon has started (and no day is configured): the CLI alone holds nothing back. */
  async current(): Promise<GoLive | undefined> {
    return goLiveOf(this.deps.config.delivery.goLive, await this.repo.firstStart(), this.deps.config.timezone);
  }

  async holdsAlertsFor(day: string): Promise<boolean> {
    return alertsHeldBack(await this.current(), day, this.deps.config.ingest.lagDays);
  }

  async holdsLettersDueAt(tick: Date): Promise<boolean> {
    return lettersHeldBack(await this.current(), tick, this.deps.config.timezone);
  }
}
