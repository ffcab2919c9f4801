import { RawBuilder, sql } from 'kysely';
import type { DubanConfig } from '../config/load-config';
import type { RuleDefinition } from '../config/rules-schema';
import type { Db } from '../db/database';
import { inTransaction } from '../db/transactions';
import { explainBaseline, explainChange, explainMissing, explainRank, explainThreshold } from '../domain/anomaly-explanation';
import type { Day } from '../domain/day';
import { WorkingCalendar } from '../domain/working-calendar';
import type { Logger } from '../logger';
import { AnomalyRepository, NewAnomaly } from '../repositories/anomaly.repository';
import { RuleVersionRepository } from '../repositories/rule-version.repository';

export interface RuleOutcome {
  ruleId: string;
  version: number;
  kind: RuleDefinition['kind'];
  found: number;
  new: number;
  superseded: number;
  /** Why the rule judged nothing this time, when it did not. */
  skipped?: string;
  /** Baseline rules: series in scope with too little history on the day to be judged. */
  insufficientHistory?: number;
}

export interface EvaluationSummary {
  evaluationId: number;
  day: Day;
  rules: RuleOutcome[];
}

/**
 * 日监测, part 2: judges one day with the rule versions in force on that day. Candidates are found set-based in SQL;
 * the wording of each anomaly is composed in the domain layer.
 */
export class EvaluationService {
  private readonly calendar: WorkingCalendar;

  constructor(private readonly deps: { db: Db; config: Pick<DubanConfig, 'calendar'>; logger: Logger }) {
    this.calendar = new WorkingCalendar(deps.config.calendar);
  }

  /** With `within`, inside the caller's transaction (a backtest's or a replay's, which roll back). */
  async evaluateDay(day: Day, opts: { trigger: string; within?: Db; rulesAsOf?: RawBuilder<Date> }): Promise<EvaluationSummary> {
    return inTransaction(opts.within ?? this.deps.db, async (tx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext('duban.evaluate'), hashtext(${day}))`.execute(tx);
      const anomalies = new AnomalyRepository(tx);
      const evaluationId = await anomalies.startEvaluation(day, opts.trigger);
      const outcomes: RuleOutcome[] = [];
      for (const version of await new RuleVersionRepository(tx).inForceOn(day, opts.rulesAsOf)) {
        const rule = version.definition as RuleDefinition;
        const base = { ruleId: rule.id, version: version.version, kind: rule.kind };
        const { found, insufficientHistory } = await this.find(anomalies, rule, day);
        const rows: NewAnomaly[] = found.map((f) => ({ ...f, rule_id: rule.id, rule_version_id: version.id, kind: rule.kind, severity: rule.severity }));
        const recorded = await anomalies.record(evaluationId, rule.id, day, rows);
        outcomes.push({
          ...base,
          found: rows.length,
          new: recorded.inserted,
          superseded: recorded.superseded,
          ...(insufficientHistory === undefined ? {} : { insufficientHistory }),
        });
      }
      const summary = { evaluationId, day, rules: outcomes };
      await anomalies.finishEvaluation(evaluationId, summary);
      this.deps.logger.info({ day, rules: outcomes.length, found: outcomes.reduce((n, o) => n + o.found, 0) }, 'day evaluated');
      return summary;
    });
  }

  /** The day and the working days before it that a `for N` rule looks at, newest first. */
  private streak(day: Day, n: number): Day[] {
    const days = [day];
    for (let k = 1; k < n; k++) days.push(this.calendar.addWorkingDays(day, -k));
    return days;
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

  private async find(repo: AnomalyRepository, rule: RuleDefinition, day: Day): Promise<{ found: Found[]; insufficientHistory?: number }> {
    const found = await this.findRows(repo, rule, day);
    return Array.isArray(found) ? { found } : found;
  }

  private async findRows(repo: AnomalyRepository, rule: RuleDefinition, day: Day): Promise<Found[] | { found: Found[]; insufficientHistory: number }> {
    const days = this.streak(day, rule.for);
    switch (rule.kind) {
      case 'baseline': {
        const windows = days.flatMap((d) => this.windowDays(d, rule.window, rule.sameWeekday).map((wday) => ({ day: d, wday })));
        const { candidates, insufficient } = await repo.baselineCandidates(rule, day, days.length, windows);
        return {
          insufficientHistory: insufficient,
          found: candidates.map((c) => ({
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
        return (await repo.thresholdCandidates(rule, day, days)).map((c) => ({
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
            isAlertValue: rule.value === undefined,
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
        return (await repo.changeCandidates(rule, day, pairs as Array<{ day: Day; ref: Day }>)).map((c) => ({
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
        return (await repo.missingCandidates(rule, days)).map((c) => ({
          indicator_id: c.indicator_id,
          unit_id: c.unit_id,
          observed_value: null,
          expected_value: null,
          explanation: explainMissing({ unitName: c.unit_name, indicatorName: c.indicator_name, days: days.length }),
        }));
    }
  }
}

type Found = Omit<NewAnomaly, 'rule_id' | 'rule_version_id' | 'kind' | 'severity'>;
