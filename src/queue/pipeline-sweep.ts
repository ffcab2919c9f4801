import { JobName, jobRegistry } from '../../jobs';
import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { addDays, dayRange } from '../domain/day';
import type { Logger } from '../logger';
import { IngestRunRepository } from '../repositories/ingest-run.repository';
import { JobRunRepository } from '../repositories/job-run.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import { lastFireTime } from './cron-scheduler';
import type { JobQueue } from './job-queue';

/** Taken only when no job without a priority waits, so that after a restart the letters follow the backfilled days. */
export const DIGEST_PRIORITY = 10;

export type DayJob = Extract<JobName, 'ingest' | 'evaluate' | 'reconcile'>;
const STEP_ORDER: readonly DayJob[] = ['ingest', 'evaluate', 'reconcile'];

export function isDayJob(name: JobName): name is DayJob {
  return (STEP_ORDER as readonly string[]).includes(name);
}

/** A slot of a day's pipeline that has not succeeded. */
export interface Gap {
  name: DayJob;
  slot: string;
  day: string;
  data: object;
}

/**
 * The one order in which the days' work is done, whatever order the queue hands it out in: every ingest of the
 * look-back, oldest first, then every evaluation, then every reconciliation. Each depends on the ones before it (a
 * day's drop is measured against the day before; the day a problem opens is the first evaluation that saw it), so
 * a run that crashed and resumed out of order would otherwise write a different history.
 */
export function precedes(a: { name: DayJob; day: string }, b: { name: DayJob; day: string }): boolean {
  const [ra, rb] = [STEP_ORDER.indexOf(a.name), STEP_ORDER.indexOf(b.name)];
  return ra < rb || (ra === rb && a.day < b.day);
}

export interface SweepDeps {
  db: Db;
  queue: JobQueue;
  config: DubanConfig;
  logger: Logger;
  now: () => Date;
  /** Without SMTP nobody could send what is due: no wake-ups then. */
  relay: boolean;
}

/**
 * Compares what Postgres says happened with what should have, and enqueues the difference: days of the look-back
 * whose ingest has not succeeded; each day's evaluation after the newest run it depends on, and the reconciliation;
 * the week's letters once due; a relay for due messages that no relay holds. Job ids and job_runs make enqueueing a
 * slot again harmless, and a slot that failed every attempt is tried again. So a chain broken anywhere (a daemon
 * killed between two steps, a job failed through an outage, Redis lost) is mended at the next start or sweep.
 */
export class PipelineSweep {
  private lookbackOf?: { minute: number; days: string[] };

  constructor(private readonly deps: SweepDeps) {}

  /** The ids of the jobs it enqueued (again). */
  async run(): Promise<string[]> {
    const ids = [...(await this.days()), ...(await this.letters()), ...(await this.relay())];
    if (ids.length > 0) this.deps.logger.info({ jobs: ids }, 'sweep enqueued');
    return ids;
  }

  /**
   * The look-back: from `lookbackDays` before the day the latest scheduled ingest took in, to that day. Finding that
   * run scans back minute by minute (tens of ms), and every job asks before it works: kept for the clock's minute.
   */
  private lookback(): string[] {
    const { config, now } = this.deps;
    const minute = Math.floor(now().getTime() / 60_000);
    if (this.lookbackOf?.minute === minute) return this.lookbackOf.days;
    const ingest = jobRegistry.ingest;
    const fired = lastFireTime(ingest.schedule.cron(config), config.timezone, now());
    const latest = fired && ingest.schedule.dataAt(config, fired).day;
    const days = latest && config.ingest.lookbackDays > 0 ? dayRange(addDays(latest, -(config.ingest.lookbackDays - 1)), latest) : [];
    this.lookbackOf = { minute, days };
    return days;
  }

  /**
   * The slots the look-back's days are missing, in the order the pipeline takes them: ingests, then each day's
   * evaluation after the run its verdict follows (see `verdictRuns`), then the reconciliations after them.
   */
  async gaps(): Promise<Gap[]> {
    const { db } = this.deps;
    const days = this.lookback();
    if (days.length === 0) return [];
    const jobRuns = new JobRunRepository(db);
    const ingested = await jobRuns.succeededSlots('ingest', days);
    const gaps: Gap[] = days.filter((d) => !ingested.has(d)).map((day) => ({ name: 'ingest', slot: day, day, data: { day, trigger: 'backfill' } }));

    const runs = await new IngestRunRepository(db).verdictRuns(days[0]!, days.at(-1)!, this.deps.config.ingest.lookbackDays);
    const verdicts = [...runs].map(([day, afterRun]) => ({ day, afterRun, slot: jobRegistry.evaluate.slot({ day, afterRun }) }));
    const slots = verdicts.map((v) => v.slot);
    const [evaluated, reconciled] = await Promise.all([jobRuns.succeededSlots('evaluate', slots), jobRuns.succeededSlots('reconcile', slots)]);
    const data = (v: (typeof verdicts)[number]) => ({ day: v.day, afterRun: v.afterRun });
    gaps.push(...verdicts.filter((v) => !evaluated.has(v.slot)).map((v) => ({ name: 'evaluate' as const, slot: v.slot, day: v.day, data: data(v) })));
    gaps.push(...verdicts.filter((v) => evaluated.has(v.slot) && !reconciled.has(v.slot)).map((v) => ({ name: 'reconcile' as const, slot: v.slot, day: v.day, data: data(v) })));
    return gaps;
  }

  private async days(): Promise<string[]> {
    const opts = { attempts: this.deps.config.ingest.attempts, retryFailed: true };
    const ids: string[] = [];
    for (const g of await this.gaps()) ids.push(await this.deps.queue.enqueue(g.name, g.slot, g.data, opts));
    return ids;
  }

  /** This week's letters, when their time has come and they have not gone out (the daemon was down on the day). */
  private async letters(): Promise<string[]> {
    const { db, queue, config, now } = this.deps;
    const digest = jobRegistry.digest;
    const fired = lastFireTime(digest.schedule.cron(config), config.timezone, now());
    const data = fired && digest.schedule.dataAt(config, fired);
    if (!data) return [];
    const done = await new JobRunRepository(db).succeededSlots('digest', [data.week]);
    if (done.has(data.week)) return [];
    return [await queue.enqueue('digest', data.week, data, { attempts: config.ingest.attempts, retryFailed: true, priority: DIGEST_PRIORITY })];
  }

  private async relay(): Promise<string[]> {
    if (!this.deps.relay || !(await new OutboxRepository(this.deps.db).anyClaimable())) return [];
    // A slot per sweep, named by the wall clock (not the configured one, which a rehearsal may hold still).
    const wake = { reason: `sweep-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '')}` };
    return [await this.deps.queue.enqueue('deliver', jobRegistry.deliver.slot(wake), wake, { attempts: 1 })];
  }
}
