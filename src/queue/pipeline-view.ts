import type { Pipeline } from '../../jobs/handlers';
import type { PipelineView } from '../../jobs/pipeline';
import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { addDays, Day, dayRange } from '../domain/day';
import { IngestRunRepository } from '../repositories/ingest-run.repository';
import { JobRunRepository } from '../repositories/job-run.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import type { GoLiveService } from '../services/go-live.service';
import { lastFireTime } from './cron-scheduler';

/** What the steps' declarations ask about the pipeline, answered from Postgres and the clock. */
export class PipelineState implements PipelineView {
  /** The last tick of each schedule, worked out once per clock minute: finding it scans back minute by minute. */
  private ticks = new Map<string, { minute: number; at: Date | undefined }>();

  constructor(
    private readonly deps: {
      db: Db;
      config: DubanConfig;
      pipeline: Pipeline;
      now: () => Date;
      /** Without SMTP nobody could send what is due: no message counts as due then. */
      relay: boolean;
      goLive: GoLiveService;
    },
  ) {}

  get config(): DubanConfig {
    return this.deps.config;
  }

  now(): Date {
    return this.deps.now();
  }

  lastTick(step: string): Date | undefined {
    const schedule = this.deps.pipeline.steps[step]?.schedule;
    if (!schedule) return undefined;
    const now = this.deps.now();
    const minute = Math.floor(now.getTime() / 60_000);
    const known = this.ticks.get(step);
    if (known?.minute === minute) return known.at;
    const at = lastFireTime(schedule.cron(this.deps.config), this.deps.config.timezone, now);
    this.ticks.set(step, { minute, at });
    return at;
  }

  lookback(): Day[] {
    const { config } = this.deps;
    const fired = this.lastTick('ingest');
    const latest = fired && (this.deps.pipeline.steps.ingest!.schedule!.dataAt(config, fired) as { day: Day }).day;
    return latest && config.ingest.lookbackDays > 0 ? dayRange(addDays(latest, -(config.ingest.lookbackDays - 1)), latest) : [];
  }

  verdictRuns(from: Day, to: Day): Promise<Map<Day, number>> {
    return new IngestRunRepository(this.deps.db).verdictRuns(from, to, this.deps.config.ingest.lookbackDays);
  }

  succeeded(step: string, slots: string[]): Promise<Set<string>> {
    return new JobRunRepository(this.deps.db).succeededSlots(step, slots);
  }

  lettersHeldBack(tick: Date): Promise<boolean> {
    return this.deps.goLive.holdsLettersDueAt(tick);
  }

  async anyMessageDue(): Promise<boolean> {
    return this.deps.relay && (await new OutboxRepository(this.deps.db).anyClaimable());
  }
}
