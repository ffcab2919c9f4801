import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Day } from '../domain/day';
import { LIVE_STATES } from '../domain/problem-state';
import type { JobRunObserver } from '../queue/job-runner';
import { OpsRepository, OUTBOX_STATUSES } from '../repositories/ops.repository';
import { EvaluateJobResult, ingestRowCounts, IngestJobResult, newAnomaliesBySeverity, ROW_OUTCOMES } from './job-result-counts';

/**
 * The daemon's Prometheus metrics, in a registry of its own rather than prom-client's global one, so that several
 * daemons in one process (the tests) do not register the same names twice. Counters count what this process did
 * since it started; the gauges are read from Postgres at each scrape and so agree across daemons.
 */
export class OpsMetrics implements JobRunObserver {
  readonly registry = new Registry();
  private readonly jobRuns: Counter<'job' | 'outcome'>;
  private readonly jobDuration: Histogram<'job'>;
  private readonly ingestRows: Counter<'outcome'>;
  private readonly anomalies: Counter<'severity'>;

  constructor(deps: { repo: OpsRepository; today: () => Day; /** The pipeline's steps, each counted from 0. */ steps: readonly string[] }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.jobRuns = new Counter({
      name: 'duban_job_runs_total',
      help: 'Job runs by job and outcome (done, skipped: the slot had already succeeded, failed)',
      labelNames: ['job', 'outcome'],
      registers,
    });
    this.jobDuration = new Histogram({
      name: 'duban_job_duration_seconds',
      help: 'Duration of job runs that did their work (done or failed)',
      labelNames: ['job'],
      // From a relay wake-up with nothing to send to a day's evaluation or a week's letters at scale.
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.ingestRows = new Counter({
      name: 'duban_ingest_rows_total',
      help: 'Cells taken in by ingest jobs, by outcome (accepted, revised, unchanged, duplicates, rejected, ignored)',
      labelNames: ['outcome'],
      registers,
    });
    this.anomalies = new Counter({
      name: 'duban_anomalies_total',
      help: 'Anomalies newly recorded by evaluation jobs, by severity',
      labelNames: ['severity'],
      registers,
    });

    // Every series starts at 0, so that the first run after a start shows in increase() instead of being its baseline.
    for (const job of deps.steps) for (const outcome of ['done', 'skipped', 'failed']) this.jobRuns.inc({ job, outcome }, 0);
    for (const outcome of ROW_OUTCOMES) this.ingestRows.inc({ outcome }, 0);
    for (const severity of ['warning', 'major']) this.anomalies.inc({ severity }, 0);

    const { repo } = deps;
    new Gauge({
      name: 'duban_problems',
      help: 'Live problems by state',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = new Map((await repo.liveProblemsByState()).map((r) => [r.state, r.count]));
        // Every state is reported, 0 included, so an alert on a state does not see it vanish when it empties.
        for (const state of LIVE_STATES) this.set({ state }, counts.get(state) ?? 0);
      },
    });
    new Gauge({
      name: 'duban_problems_overdue',
      help: 'Problems assigned or pending verification past their deadline',
      registers,
      async collect() {
        this.set(await repo.overdueProblems(deps.today()));
      },
    });
    new Gauge({
      name: 'duban_outbox_messages',
      help: 'Outbox messages by status',
      labelNames: ['status'],
      registers,
      async collect() {
        const counts = new Map((await repo.outboxByStatus()).map((r) => [r.status, r.count]));
        for (const status of OUTBOX_STATUSES) this.set({ status }, counts.get(status) ?? 0);
      },
    });
    new Gauge({
      name: 'duban_outbox_oldest_pending_seconds',
      help: 'Age of the oldest outbox message not yet delivered (0 when none waits)',
      registers,
      async collect() {
        this.set(await repo.oldestPendingOutboxSeconds());
      },
    });
  }

  jobFinished(job: string, outcome: 'done' | 'skipped' | 'failed', seconds: number, result?: unknown): void {
    this.jobRuns.inc({ job, outcome });
    // A skipped run only looked up job_runs; its few milliseconds would drown the durations of real work.
    if (outcome !== 'skipped') this.jobDuration.observe({ job }, seconds);
    if (outcome !== 'done' || result === undefined) return;
    // HANDLERS ties each name to its handler, so the result has that handler's type.
    if (job === 'ingest') {
      for (const [row, n] of Object.entries(ingestRowCounts(result as IngestJobResult))) this.ingestRows.inc({ outcome: row }, n);
    } else if (job === 'evaluate') {
      for (const [severity, n] of Object.entries(newAnomaliesBySeverity(result as EvaluateJobResult))) this.anomalies.inc({ severity }, n);
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition; rejects when Postgres cannot answer the gauges' queries. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
