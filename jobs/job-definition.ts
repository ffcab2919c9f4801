import type { DubanConfig } from '../src/config/load-config';
import type { Db } from '../src/db/database';
import type { Logger } from '../src/logger';
import type { OutboxRelay } from '../src/delivery/outbox-relay';
import type { AlertService } from '../src/services/alert.service';
import type { DigestService } from '../src/services/digest.service';
import type { EvaluationService } from '../src/services/evaluation.service';
import type { IngestService } from '../src/services/ingest.service';
import type { ProblemService } from '../src/services/problem.service';
import type { ReconcileService } from '../src/services/reconcile.service';

/** What a handler may use. Handlers stay thin: they name the slot and call a service. */
export interface JobContext {
  config: DubanConfig;
  db: Db;
  logger: Logger;
  services: {
    ingest: IngestService;
    evaluation: EvaluationService;
    problems: ProblemService;
    reconcile: ReconcileService;
    alerts: AlertService;
    digest: DigestService;
    /** Absent without SMTP_URL. */
    relay?: OutboxRelay;
  };
  /**
   * Enqueues a follow-up job (e.g. evaluation after ingest). The daemon wires it to the queue; where there is no
   * queue (the CLI, tests driving jobs directly) it is left out and the caller runs what follows itself.
   */
  enqueue?: (name: string, slot: string, data: object) => Promise<void>;
  /**
   * Resolves once no other daemon is at work and every day of the look-back is judged and reconciled (running a
   * missing day itself if need be), so that work summing up the days (the weekly letters) sees them all; bounded in
   * time. Left out where there is no queue.
   */
  untilQuiet?: () => Promise<void>;
}

export interface JobDefinition<Data> {
  name: string;
  /** The slot this job fills, e.g. a day; with the name it makes the BullMQ job id and the job_runs key. */
  slot(data: Data): string;
  /**
   * When the daemon enqueues it, as a cron expression in the configured time zone; and what for, or nothing when no
   * slot is due at that tick.
   */
  schedule?: { cron(config: DubanConfig): string; dataAt(config: DubanConfig, fireTime: Date): Data | undefined };
  handle(ctx: JobContext, data: Data): Promise<unknown>;
}

/** BullMQ job ids cannot contain ':'; days and ISO weeks never do. */
export function jobId(name: string, slot: string): string {
  const id = `${name}-${slot}`;
  if (id.includes(':')) throw new Error(`job id must not contain ':': ${id}`);
  return id;
}
