import { RawBuilder, sql } from 'kysely';
import type { DubanConfig } from '../config/load-config';
import type { RuleDefinition } from '../config/rules-schema';
import type { Db } from '../db/database';
import { useAnalyticSettings } from '../db/analytic-settings';
import { inTransaction } from '../db/transactions';
import { explainBaseline, explainChange, explainMissing, explainRank, explainThreshold } from '../domain/anomaly-explanation';
import type { Day } from '../domain/day';
import { WorkingCalendar } from '../domain/working-calendar';
import type { Logger } from '../logger';
import { BaselineScreen } from '../domain/baseline-screen';
import { AnomalyRepository, FoundAnomaly } from '../repositories/anomaly.repository';
import { BaselineCandidate, CandidateRepository, WindowValues, SeriesKey } from '../repositories/candidate.repository';
import { IndicatorVersionRepository } from '../repositories/indicator-version.repository';
import { IngestRunRepository } from '../repositories/ingest-run.repository';
import { RuleVersionRepository } from '../repositories/rule-version.repository';

/** Unit ids per pack (observation_packs' chunks, migrations/20261130T130000000Z-observation-packs.ts). */
const CHUNK_UNITS = 4096;

export interface RuleOutcome {
  ruleId: string;
  version: number;
  kind: RuleDefinition['kind'];
  severity: RuleDefinition['severity'];
  found: number;
  new: number;
  /** Time spent finding and recording, for operators watching a growing catalogue. */
  durationMs: number;
  superseded: number;
  /** Baseline rules: series in scope with too little history on the day to be judged. */
  insufficientHistory?: number;
}

export interface EvaluationSummary {
  evaluationId: number;
  day: Day;
  rules: RuleOutcome[];
  /** Anomalies of rules no longer in force on the day, marked superseded. */
  retiredSuperseded?: number;
}

/**
 * 日监测, part 2: judges one day with the rule and threshold versions in force on that day. Candidates are found set-based in SQL;
 * the wording of each anomaly is composed in the domain layer.
 */
export class EvaluationService {
  private readonly calendar: WorkingCalendar;

  constructor(private readonly deps: { db: Db; config: Pick<DubanConfig, 'calendar' | 'ingest'>; logger: Logger }) {
    this.calendar = new WorkingCalendar(deps.config.calendar);
  }

  /**
   * With `within`, inside the caller's transaction (a backtest's or a replay's, which roll back). With `versionsAsOf`
   * (a replay), only the rule and threshold versions stored by then count. With `reference`, every rule is judged by
   * its statement over the history alone, without the packed values: the full computation the incremental one is held
   * to (test/integration/incremental-evaluation.test.ts).
   */
  async evaluateDay(day: Day, opts: { trigger: string; within?: Db; versionsAsOf?: RawBuilder<Date>; reference?: boolean }): Promise<EvaluationSummary> {
    return inTransaction(opts.within ?? this.deps.db, async (tx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext('duban.evaluate'), hashtext(${day}))`.execute(tx);
      await useAnalyticSettings(tx);
      const anomalies = new AnomalyRepository(tx);
      const candidates = new CandidateRepository(tx, { day, asOf: opts.versionsAsOf });
      // Each anomaly names the thresholds it was judged against.
      const thresholds = new Map((await new IndicatorVersionRepository(tx).inForceOn(day, opts.versionsAsOf)).map((v) => [v.indicator_id, v.id]));
      // Which of the day's data this evaluation sees, read in its own transaction: the run its verdict follows now.
      // Reconciliation counts a day towards confirming a recovery only once it was judged on its current data.
      const afterRun = (await new IngestRunRepository(tx).verdictRuns(day, day, this.deps.config.ingest.lookbackDays)).get(day) ?? null;
      const evaluationId = await anomalies.startEvaluation(day, opts.trigger, afterRun);
      const outcomes: RuleOutcome[] = [];
      const inForce = await new RuleVersionRepository(tx).inForceOn(day, opts.versionsAsOf);
      // A rule no longer in force on the day (retired, or a backtest's proposal without it) keeps no anomaly there.
      const retired = await anomalies.supersedeOtherRules(day, inForce.map((v) => v.rule_id));
      for (const version of inForce) {
        const rule = version.definition as RuleDefinition;
        const base = { ruleId: rule.id, version: version.version, kind: rule.kind, severity: rule.severity };
        const started = Date.now();
        const { found, insufficientHistory } = await this.find(candidates, opts.reference === true, rule, day);
        const raising = { id: rule.id, versionId: version.id, kind: rule.kind, severity: rule.severity };
        const recorded = await anomalies.record(evaluationId, raising, day, found, thresholds);
        outcomes.push({
          ...base,
          found: found.length,
          new: recorded.inserted,
          superseded: recorded.superseded,
          durationMs: Date.now() - started,
          ...(insufficientHistory === undefined ? {} : { insufficientHistory }),
        });
      }
      const summary = { evaluationId, day, rules: outcomes, ...(retired > 0 ? { retiredSuperseded: retired } : {}) };
      await anomalies.finishEvaluation(evaluationId, summary);
      this.deps.logger.info({ day, rules: outcomes.length, found: outcomes.reduce((n, o) => n + o.found, 0) }, 'day evaluated');
      return summary;
    });
  }

  /** Days from `from` on already judged: what a new rule or threshold version effective from `from` has not judged yet. */
  async judgedDaysFrom(from: Day): Promise<Day[]> {
    return new AnomalyRepository(this.deps.db).judgedDaysFrom(from);
  }

  /** The day and the working days before it that a `for N` rule looks at, newest first. */
  private streak(day: Day, n: number): Day[] {
    const days = [day];
    for (let k = 1; k < n; k++) days.push(this.calendar.addWorkingDays(day, -k));
    return days;
  }

  /**
   * The rows `judge` finds on the first of `days` whose series it finds again on every other one (a `for N` rule).
   * The day itself is judged in full and each earlier day only for the series still held, so a rule that finds
   * little costs one day's work.
   */
  private async heldOnEvery<T extends SeriesKey>(days: Day[], judge: (day: Day, only?: SeriesKey[]) => Promise<T[]>): Promise<T[]> {
    let held = await judge(days[0]!);
    for (const earlier of days.slice(1)) {
      if (held.length === 0) break;
      const again = new Set((await judge(earlier, held)).map((c) => `${c.indicator_id}:${c.unit_id}`));
      held = held.filter((c) => again.has(`${c.indicator_id}:${c.unit_id}`));
    }
    return held;
  }

  /** The working days before `day` whose values make its baseline, stopping where the calendar data end. */
  private windowDays(day: Day, size: number, sameWeekday: boolean): Day[] {
    const out: Day[] = [];
    let d = day;
    while (out.length < size) {
      const prev = sameWeekday ? this.calendar.sameWorkingWeekdayBefore(d, 8) : this.calendar.previousWorkingDay(d);
      if (!prev || !this.calendar.covers(prev)) break;
      out.push(prev);
      d = prev;
    }
    return out;
  }

  /**
   * A day's baseline from the packed values (observation_packs): every series in scope screened in the process, its
   * window gathered from a few hundred rows, and the few the screen lets through judged by the rule's statement.
   */
  private async baselineFromPacks(
    repo: CandidateRepository,
    rule: Extract<RuleDefinition, { kind: 'baseline' }>,
    day: Day,
    window: Day[],
  ): Promise<{ candidates: BaselineCandidate[]; insufficient: number }> {
    const screen = new BaselineScreen(rule);
    const inScope = new Set(await repo.unitsInScope(rule));
    const size = window.length;
    const values = new Float64Array(CHUNK_UNITS * Math.max(size, 1));
    const counts = new Uint16Array(CHUNK_UNITS);
    const dayValues = new Float64Array(CHUNK_UNITS);
    const suspects: WindowValues = { keys: [], values: [] };
    let judged = 0;
    for (const indicator of await repo.indicatorsInScope(rule)) {
      await repo.forEachChunk(indicator.id, [...window, day], (chunk, packs) => {
        counts.fill(0);
        dayValues.fill(NaN);
        const base = chunk * CHUNK_UNITS;
        for (const { day: d, packed } of packs) {
          const isDay = d === day;
          for (let at = 0; at < packed.length; at += 12) {
            const k = packed.readInt32BE(at) - base;
            const v = packed.readDoubleBE(at + 4);
            if (isDay) dayValues[k] = v;
            else values[k * size + counts[k]!++] = v;
          }
        }
        for (let k = 0; k < CHUNK_UNITS; k++) {
          const unitId = base + k;
          if ((counts[k] === 0 && Number.isNaN(dayValues[k]!)) || !inScope.has(unitId)) continue;
          const own = values.subarray(k * size, k * size + counts[k]!);
          const verdict = screen.screen(own, counts[k]!, dayValues[k]!, indicator.higherIsBetter);
          if (verdict !== 'insufficient') judged++;
          if (verdict === 'suspect') {
            suspects.keys.push({ indicator_id: indicator.id, unit_id: unitId });
            suspects.values.push(Array.from(own));
          }
        }
      });
    }
    const candidates = suspects.keys.length === 0 ? [] : (await repo.baselineCandidates(rule, day, window, suspects)).candidates;
    return { candidates, insufficient: (await repo.seriesInScope(rule)) - judged };
  }

  private async find(
    repo: CandidateRepository,
    reference: boolean,
    rule: RuleDefinition,
    day: Day,
  ): Promise<{ found: FoundAnomaly[]; insufficientHistory?: number }> {
    const found = await this.findRows(repo, reference, rule, day);
    return Array.isArray(found) ? { found } : found;
  }

  private async findRows(
    repo: CandidateRepository,
    reference: boolean,
    rule: RuleDefinition,
    day: Day,
  ): Promise<FoundAnomaly[] | { found: FoundAnomaly[]; insufficientHistory: number }> {
    // Judged on working days only: a run of working days (an anomaly on a weekend or holiday never claims one); a
    // change or a baseline, whose references are working days (a Saturday is not measured against a Friday's
    // regime); and missing data, which are expected on working days. A threshold or a rank of one day is judged any day.
    const workingDaysOnly = rule.for > 1 || rule.kind === 'missing' || rule.kind === 'change' || rule.kind === 'baseline';
    if (workingDaysOnly && !this.calendar.isWorkingDay(day)) return [];
    const days = this.streak(day, rule.for);
    switch (rule.kind) {
      case 'baseline': {
        let insufficient = 0;
        const held = await this.heldOnEvery(days, async (d, only) => {
          const window = this.windowDays(d, rule.window, rule.sameWeekday);
          // The day itself from the packed values; a `for N` rule's earlier days only for the few series the day
          // flagged, by the statement.
          const judged =
            !only && !reference ? await this.baselineFromPacks(repo, rule, d, window) : await repo.baselineCandidates(rule, d, window, only);
          if (!only) insufficient = judged.insufficient;
          return judged.candidates;
        });
        return {
          insufficientHistory: insufficient,
          found: held.map((c) => ({
            indicator_id: c.indicator_id,
            unit_id: c.unit_id,
            observed_value: c.value,
            expected_value: c.median,
            explanation: explainBaseline({
              unitName: c.unit_name,
              indicatorName: c.indicator_name,
              unit: c.indicator_unit,
              value: c.value,
              median: c.median,
              mad: c.mad,
              window: rule.window,
              sameWeekday: rule.sameWeekday,
              direction: c.direction,
              days: days.length,
            }),
          })),
        };
      }
      case 'threshold':
        return (await this.heldOnEvery(days, (d, only) => repo.thresholdCandidates(rule, d, only))).map((c) => ({
          indicator_id: c.indicator_id,
          unit_id: c.unit_id,
          observed_value: c.value,
          expected_value: c.threshold,
          explanation: explainThreshold({
            unitName: c.unit_name,
            indicatorName: c.indicator_name,
            unit: c.indicator_unit,
            value: c.value,
            threshold: c.threshold,
            op: c.op,
            // A rule's own value equal to the 预警值 is the 预警值, as letters name it.
            isAlertValue: rule.value === undefined || (c.alert !== null && Number(c.alert) === Number(c.threshold)),
            days: days.length,
          }),
        }));
      case 'change': {
        const refOf = (d: Day) =>
          rule.compare === 'previous_working_day' ? this.calendar.previousWorkingDay(d) : this.calendar.sameWorkingWeekdayBefore(d);
        const pairs = days.map((d) => ({ day: d, ref: refOf(d) }));
        // A day with no comparable day before it (a long gap in the calendar) cannot show a change.
        if (pairs.some((p) => p.ref === undefined)) return [];
        const refDay = pairs[0]!.ref!;
        const refs = new Map(pairs.map((p) => [p.day, p.ref!]));
        const held = await this.heldOnEvery(days, (d, only) => repo.changeCandidates(rule, d, refs.get(d)!, only));
        return held.map((c) => ({
          indicator_id: c.indicator_id,
          unit_id: c.unit_id,
          observed_value: c.value,
          expected_value: c.reference,
          explanation: explainChange({
            unitName: c.unit_name,
            indicatorName: c.indicator_name,
            unit: c.indicator_unit,
            value: c.value,
            reference: c.reference,
            referenceDay: refDay,
            compare: rule.compare,
            direction: c.direction,
            days: days.length,
          }),
        }));
      }
      case 'rank':
        return (await repo.rankCandidates(rule, day, days)).map((c) => ({
          indicator_id: c.indicator_id,
          unit_id: c.unit_id,
          observed_value: c.value,
          expected_value: null,
          explanation: explainRank({
            unitName: c.unit_name,
            indicatorName: c.indicator_name,
            unit: c.indicator_unit,
            value: c.value,
            unitKind: c.unit_kind,
            position: c.position,
            peers: c.peers,
            days: days.length,
          }),
        }));
      case 'missing':
        // Expected: reported on enough of the working days before the run of missing days began.
        return (await repo.missingCandidates(rule, days, this.windowDays(days.at(-1)!, rule.ofLast, false))).map((c) => ({
          indicator_id: c.indicator_id,
          unit_id: c.unit_id,
          observed_value: null,
          expected_value: null,
          explanation: explainMissing({ unitName: c.unit_name, indicatorName: c.indicator_name, days: days.length }),
        }));
    }
  }
}

