import path from 'node:path';
import { sql } from 'kysely';
import type pg from 'pg';
import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { inClientTransaction } from '../db/client-session';
import { makeHistoryMonths } from '../db/history-months';
import { refreshDayStatistics } from '../db/table-statistics';
import { addDays, Day, dayIn } from '../domain/day';
import { Catalogue } from '../ingest/catalogue';
import { crashPoint } from '../crash-points';
import { createSource } from '../ingest/create-source';
import { CsvSource } from '../ingest/csv-source';
import type { IngestIgnoredColumnRow, IngestRejectRow, IngestRunRow } from '../db/schema';
import { validateRecord, ValidationContext } from '../ingest/row-validator';
import { IngestSource, InputError, InputInfo, RawRecord, SourceReadContext } from '../ingest/source';
import type { Logger } from '../logger';
import { CatalogueRepository } from '../repositories/catalogue.repository';
import { ObservationRepository } from '../repositories/observation.repository';
import { IngestRunRepository, RunCounts } from '../repositories/ingest-run.repository';
import { ObservationStagingRepository, StagedRow } from '../repositories/observation-staging.repository';
import { ValuesDigestRepository } from '../repositories/values-digest.repository';
import { appendInOpenTransaction } from './ledger.service';

export interface SourceRunResult extends RunCounts {
  runId: number;
  source: string;
  status: 'succeeded' | 'failed';
  error?: string;
  inputs: InputInfo[];
}

/** One run, or every run of a day. */
type RunPick = { runId?: number; day?: Day };

export interface IngestDeps {
  db: Db;
  pool: pg.Pool;
  config: Pick<DubanConfig, 'timezone' | 'sources'>;
  logger: Logger;
  /** Injected so tests can stand on a chosen day. */
  now?: () => Date;
}

/**
 * Takes in one day's values from each source. Every source runs in its own transaction: one that cannot be read
 * fails alone, is recorded as failed, and writes nothing; the others still land.
 */
export class IngestService {
  private readonly runs: IngestRunRepository;

  constructor(private readonly deps: IngestDeps) {
    this.runs = new IngestRunRepository(deps.db);
  }

  /** `logger`: the job's, so every line carries the job name and slot. */
  async ingestDay(day: Day, opts: { trigger: string; sources?: IngestSource[]; logger?: Logger }): Promise<SourceRunResult[]> {
    const sources = opts.sources ?? this.deps.config.sources.map(createSource);
    const catalogue = await this.loadCatalogue(day);
    const results: SourceRunResult[] = [];
    const logger = opts.logger ?? this.deps.logger;
    await this.makeMonths(day, logger);
    for (const source of sources) results.push(await this.ingestSource(day, source, catalogue, opts.trigger, logger));
    if (results.some((r) => r.accepted + r.revised > 0)) await this.refreshStatistics(day, logger);
    return results;
  }

  /**
   * Before the day's values are written: the month's partition of the history, and the next month's, made if missing
   * (src/db/history-months.ts). Without them the values still land, in the default partition; so a failure here is
   * logged, never the ingest's.
   */
  private async makeMonths(day: Day, logger: Logger): Promise<void> {
    try {
      const made = await makeHistoryMonths(this.deps.db, day);
      if (made > 0) logger.info({ day, made }, 'monthly partitions of the history made');
    } catch (err) {
      logger.warn({ day, err }, 'monthly partitions of the history not made: the values go to the default partition');
    }
  }

  /**
   * After the day's values are written: the planner's statistics of the day's month of `observations` brought up to
   * them, so that the evaluation that follows is not planned on a table where the day does not exist yet
   * (src/db/table-statistics.ts). The values are committed; a refresh that fails is logged and left to autovacuum.
   */
  private async refreshStatistics(day: Day, logger: Logger): Promise<void> {
    const started = Date.now();
    try {
      const analyzed = await refreshDayStatistics(this.deps.db, day);
      if (!analyzed) logger.warn({ day }, 'statistics of observations not refreshed: the table was busy; autovacuum will');
      else logger.debug({ day, ms: Date.now() - started }, 'statistics of observations refreshed');
    } catch (err) {
      logger.warn({ day, err }, 'statistics of observations not refreshed');
    }
  }

  /** The run `day`'s verdict must follow now (see `verdictRuns`); undefined while the day has no values. */
  async verdictRun(day: Day, windowDays: number): Promise<number | undefined> {
    return (await this.runs.verdictRuns(day, day, windowDays)).get(day);
  }

  /**
   * The verdicts a change to `day` calls for: that day's, and those of the days after it (up to `windowDays`) whose
   * rules compare with it, each with the run it must follow.
   */
  async verdictsAfterChangeTo(day: Day, windowDays: number): Promise<Array<{ day: Day; afterRun: number }>> {
    const runs = await this.runs.verdictRuns(day, addDays(day, windowDays), windowDays);
    return [...runs].map(([d, afterRun]) => ({ day: d as Day, afterRun }));
  }

  /**
   * The sources a run reads: every configured one; or the one named; or one CSV file, read with the named source's
   * settings (encoding, format, percent scale) when there is one.
   */
  sourcesFor(pick: { source?: string; file?: string }): IngestSource[] {
    const all = this.deps.config.sources;
    const named = pick.source ? all.find((s) => s.name === pick.source) : undefined;
    // Also with --file: the file is read with that source's settings, and a misspelt name would silently read it
    // with the defaults instead.
    if (pick.source && !named) {
      throw new Error(`配置中没有名为“${pick.source}”的数据源（已配置：${all.map((s) => s.name).join('、') || '无'}）${pick.file ? '；只采集一个文件时可不写 --source' : ''}`);
    }
    if (pick.file) {
      const base = named?.type === 'csv' ? named : undefined;
      return [
        new CsvSource({
          name: pick.source ?? 'file',
          path: path.resolve(pick.file),
          pattern: '*',
          encoding: base?.encoding ?? 'auto',
          layout: base?.layout ?? 'auto',
          delimiter: base?.delimiter ?? ',',
          percentScale: base?.percentScale ?? 'auto',
          maxLineLength: base?.maxLineLength,
        }),
      ];
    }
    return (named ? [named] : all).map(createSource);
  }

  /** A day's ingest runs, with their counts. */
  runsOf(day: Day): Promise<IngestRunRow[]> {
    return this.runs.forDay(day);
  }

  /** The rows rejected by these runs, or by every run of `day`, in run and line order. */
  async rejects(pick: RunPick, limit: number): Promise<IngestRejectRow[]> {
    return this.runs.rejects(await this.runIds(pick), limit);
  }

  /** The columns left unread by these runs, or by every run of `day`. */
  async ignoredColumns(pick: RunPick): Promise<IngestIgnoredColumnRow[]> {
    return this.runs.ignoredColumns(await this.runIds(pick));
  }

  private async runIds(pick: RunPick): Promise<number[]> {
    if (pick.runId !== undefined) return [pick.runId];
    return pick.day ? (await this.runs.forDay(pick.day)).map((r) => r.id) : [];
  }

  /** A unit's stored values from `from` to `to`, one indicator or all (the API's series). */
  series(unitCode: string, indicatorCode: string | undefined, from: Day, to: Day) {
    return new ObservationRepository(this.deps.db).series(unitCode, indicatorCode, from, to);
  }

  /** The catalogue a day's values are read against, with the thresholds in force on that day. */
  async loadCatalogue(day: Day): Promise<Catalogue> {
    const repo = new CatalogueRepository(this.deps.db);
    const [units, indicators] = await Promise.all([repo.activeUnitLabels(), repo.activeIndicatorsOn(day)]);
    return new Catalogue(
      units.map((u) => ({ id: u.id, code: u.code, name: u.name, kind: u.kind, aliases: u.aliases })),
      indicators.map((i) => ({
        id: i.id,
        code: i.code,
        name: i.name,
        unit: i.unit,
        kind: i.kind,
        headerAliases: i.header_aliases,
        alert: i.alert_value === null ? null : Number(i.alert_value),
        benchmark: i.benchmark_value === null ? null : Number(i.benchmark_value),
      })),
    );
  }

  private async ingestSource(day: Day, source: IngestSource, catalogue: Catalogue, trigger: string, logger: Logger): Promise<SourceRunResult> {
    const log = logger.child({ day, source: source.name });
    const runId = await this.runs.start(day, source.name, trigger);
    const ctx: SourceReadContext = { day, catalogue, inputs: [] };
    const validation: ValidationContext = {
      catalogue,
      day,
      today: dayIn(this.deps.config.timezone, this.deps.now?.() ?? new Date()),
      percentScale: source.percentScale,
    };
    try {
      const counts = await inClientTransaction(this.deps.pool, async (client, tx) => {
        // Two runs of the same day (a retry racing a re-run, or two daemons) take turns instead of interleaving.
        await sql`SELECT pg_advisory_xact_lock(hashtext('duban.ingest'), hashtext(${day}))`.execute(tx);
        const interrupted = await new IngestRunRepository(tx).failInterrupted(day, source.name, runId);
        if (interrupted > 0) log.warn({ runId, interrupted }, 'earlier runs of this day were cut off mid-run; marked failed');
        const staging = new ObservationStagingRepository(client, tx);
        await staging.create();
        const tally = { records: 0 };
        await staging.copy(isBatched(source) ? stageBatches(source.readBatches(ctx), validation, tally) : stage(source.read(ctx), validation, tally));
        const names = ctx.inputs.map((i) => i.name);
        let rejected = await staging.insertRejects(runId, source.name, names);
        await staging.group(day);
        const grouped = await staging.groupedCounts();
        if (grouped.conflicting > 0) rejected += await staging.rejectConflicts(runId, source.name, names);
        crashPoint('ingest.staged');
        const merged = await staging.merge(runId, day, grouped);
        if (merged.accepted + merged.revised > 0) await recordValues(client, tx, { runId, day, source: source.name, revised: merged.revised });
        const ignored = await new IngestRunRepository(tx).recordIgnoredColumns(runId, ctx.inputs);
        const result: RunCounts = { ...merged, duplicates: grouped.duplicates, rejected, ignored, cellsSeen: cellsSeen(ctx.inputs, tally.records) };
        await new IngestRunRepository(tx).succeed(runId, result, ctx.inputs);
        return result;
      });
      crashPoint('ingest.committed');
      log.info({ runId, ...counts }, 'ingest run succeeded');
      return { runId, source: source.name, status: 'succeeded', inputs: ctx.inputs, ...counts };
    } catch (err) {
      const error = describeFailure(err);
      // An input's own fault is the county office's to fix; anything else is logged whole for the operator.
      if (err instanceof InputError) log.warn({ runId, error }, 'ingest run failed');
      else log.error({ runId, err }, 'ingest run failed');
      await this.runs.fail(runId, error, ctx.inputs);
      return { runId, source: source.name, status: 'failed', error, inputs: ctx.inputs, ...NO_COUNTS };
    }
  }
}

const NO_COUNTS: RunCounts = { accepted: 0, revised: 0, unchanged: 0, duplicates: 0, rejected: 0, ignored: 0, cellsSeen: 0 };

/**
 * Cells the inputs held. A CSV counts its own (rows × the cells its header declares), so that the sum of what became
 * of them — kept, rejected, ignored — is checked against a count made apart from it; other sources give one cell per
 * record.
 */
function cellsSeen(inputs: InputInfo[], records: number): number {
  return inputs.every((i) => i.cells !== undefined) ? inputs.reduce((n, i) => n + i.cells!, 0) : records;
}

/** What a person is told when a run fails: the input's own message, or a plain sentence (never a bare driver error). */
function describeFailure(err: unknown): string {
  if (err instanceof InputError) return err.message;
  const e = err as { code?: string; message?: string };
  const code = typeof e.code === 'string' ? e.code : undefined;
  return `采集未完成，未写入任何数据：内部错误${code ? `（${code}）` : ''}，详情见日志。请联系运维人员。`;
}

/**
 * The run's values fingerprinted in the ledger, in the run's transaction: they are stored exactly when the ledger says
 * so, and a later change to them other than by a revision shows in `audit verify`.
 */
async function recordValues(client: pg.PoolClient, tx: Db, run: { runId: number; day: Day; source: string; revised: number }): Promise<void> {
  const fingerprint = await new ValuesDigestRepository(client).ofRun(run);
  await appendInOpenTransaction(tx, [{ type: 'values_recorded', actor: 'duban', payload: { ...run, ...fingerprint } }]);
}

async function* stage(records: AsyncIterable<RawRecord>, ctx: ValidationContext, tally: { records: number }): AsyncGenerator<StagedRow> {
  for await (const r of records) {
    tally.records++;
    yield staged(r, ctx);
  }
}

/** The same rows, a batch at a time: per-row async iteration costs more than validating the row. */
async function* stageBatches(batches: AsyncIterable<RawRecord[]>, ctx: ValidationContext, tally: { records: number }): AsyncGenerator<StagedRow[]> {
  for await (const records of batches) {
    tally.records += records.length;
    yield records.map((r) => staged(r, ctx));
  }
}

function staged(r: RawRecord, ctx: ValidationContext): StagedRow {
  const v = validateRecord(r, ctx);
  const column = r.column ?? null;
  return v.ok
    ? { input: r.input, line: r.line, column, raw: r.raw, unitId: v.unitId, indicatorId: v.indicatorId, value: v.value }
    : { input: r.input, line: r.line, column, raw: r.raw, reason: v.reason, message: v.message };
}

/** A source that can also hand on its records in batches (CsvSource does). */
interface BatchedSource extends IngestSource {
  readBatches(ctx: SourceReadContext): AsyncIterable<RawRecord[]>;
}

function isBatched(source: IngestSource): source is BatchedSource {
  return typeof (source as Partial<BatchedSource>).readBatches === 'function';
}
