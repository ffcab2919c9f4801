import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { inTransaction } from '../db/transactions';
import type { Day } from '../domain/day';
import { openProblem } from '../domain/problem-state';
import { WorkingCalendar } from '../domain/working-calendar';
import type { Logger } from '../logger';
import { NewProblem, ProblemKey, ProblemRepository, ProblemUpdate, UnattachedAnomaly } from '../repositories/problem.repository';
import { LedgerEntry, LedgerService } from './ledger.service';
import { ProblemTransitions } from './problem-transitions';

export interface AbsorbSummary {
  day: Day;
  /** Anomalies attached to problems, and what became of the problems. */
  anomalies: number;
  opened: number;
  reopened: number;
  attached: number;
}

/** A day's anomalies about one fact: they go to one problem. */
interface Group extends ProblemKey {
  anomalies: UnattachedAnomaly[];
}

/**
 * Turns anomalies into problems (问题). A problem is a fact, not a rule hit: every anomaly of any rule on one series
 * (indicator × unit) goes to its one live problem, which carries the rules that fired; a unit's missing data goes to
 * one problem per supplier that owes it (the indicator's data-source department, or the unit). A problem closed within
 * the reopen window is reopened rather than duplicated. Opening and reopening are ledger events in the same transaction.
 */
export class ProblemService {
  private readonly calendar: WorkingCalendar;

  constructor(private readonly deps: { db: Db; config: Pick<DubanConfig, 'calendar' | 'problems'>; logger: Logger }) {
    this.calendar = new WorkingCalendar(deps.config.calendar);
  }

  async absorb(day: Day): Promise<AbsorbSummary> {
    return inTransaction(this.deps.db, async (tx) => {
      const repo = new ProblemRepository(tx);
      await repo.lock();
      const anomalies = await repo.unattachedAnomalies(day);
      const groups = groupByFact(anomalies);

      const live = new Map((await repo.live(groups)).map((p) => [keyOf(p), p.id]));
      const rest = groups.filter((g) => !live.has(keyOf(g)));
      const since = this.calendar.addWorkingDays(day, -this.deps.config.problems.reopenWithinWorkingDays);
      const closed = new Map((await repo.closedSince(rest, since)).map((p) => [keyOf(p), p]));
      const transitions = new ProblemTransitions(tx, this.deps.config);
      // Reopened problems are decided and their events appended after the new ones': the ledger's order.
      const recurring = rest.filter((g) => closed.has(keyOf(g)));
      const reopened = recurring.map((g) => transitions.decide(closed.get(keyOf(g))!, { type: 'recur', day, kind: g.kind, anomalyIds: g.anomalies.map((a) => a.id) }));

      const fresh = rest.filter((g) => !closed.has(keyOf(g)));
      const openings = new Map(fresh.map((g) => [keyOf(g), openProblem({ kind: g.kind, day, anomalyIds: g.anomalies.map((a) => a.id), ownerUnitId: g.owner_unit_id })]));
      const category = (g: Group) => categoryOf(g, this.deps.config.problems);
      // The repository cuts the rows into statements that fit PostgreSQL's parameter limit.
      const created = await repo.insertOpened(fresh.map((g) => ({ ...newProblem(g, day, category(g)), status: openings.get(keyOf(g))!.status })));
      const idOf = new Map<string, number>([...live, ...recurring.map((g) => [keyOf(g), closed.get(keyOf(g))!.id] as const), ...created.map((p) => [keyOf(p), p.id] as const)]);

      // New problems were inserted with their first day's anomalies; the rest take theirs now.
      await repo.attach(groups.filter((g) => !openings.has(keyOf(g))).map((g) => update(idOf.get(keyOf(g))!, g, day)));
      await repo.link(
        groups.flatMap((g) => g.anomalies.map((a) => a.id)),
        groups.flatMap((g) => g.anomalies.map(() => idOf.get(keyOf(g))!)),
      );

      const opened: LedgerEntry[] = created.map((p) => ({ ...openings.get(keyOf(p))!.event, actor: 'duban', problemId: String(p.id), unitId: p.unit_id, indicatorId: p.indicator_id }));
      await new LedgerService(tx).append(opened, tx);
      await transitions.commit(reopened, 'duban');

      const summary = { day, anomalies: anomalies.length, opened: created.length, reopened: reopened.length, attached: live.size };
      this.deps.logger.info(summary, 'anomalies absorbed into problems');
      return summary;
    });
  }
}

function keyOf(k: ProblemKey): string {
  return k.kind === 'value' ? `v/${k.indicator_id}/${k.unit_id}` : `m/${k.unit_id}/${k.owner_unit_id}`;
}

function groupByFact(anomalies: UnattachedAnomaly[]): Group[] {
  const groups = new Map<string, Group>();
  for (const a of anomalies) {
    const missing = a.kind === 'missing';
    // Missing data is owed by the indicator's data-source department where one is configured, else by the unit.
    const key: ProblemKey = missing
      ? { kind: 'missing', indicator_id: null, unit_id: a.unit_id, owner_unit_id: a.source_department_id ?? a.unit_id }
      : { kind: 'value', indicator_id: a.indicator_id, unit_id: a.unit_id, owner_unit_id: a.unit_id };
    const g = groups.get(keyOf(key)) ?? { ...key, anomalies: [] };
    g.anomalies.push(a);
    groups.set(keyOf(key), g);
  }
  return [...groups.values()];
}

function severityOf(g: Group): 'warning' | 'major' {
  return g.anomalies.some((a) => a.severity === 'major') ? 'major' : 'warning';
}

/** The day's value of the series (all its anomalies that day saw the same one); none for missing data. */
function valueOf(g: Group): string | null {
  return g.anomalies.find((a) => a.observed_value !== null)?.observed_value ?? null;
}

function rulesOf(g: Group): string[] {
  return [...new Set(g.anomalies.map((a) => a.rule_id))].sort();
}

/** The rule that raised it decides first, then the indicator, then the default. */
function categoryOf(g: Group, p: DubanConfig['problems']): string {
  const byRule = g.anomalies.map((a) => p.categoryByRule[a.rule_id]).find((c) => c !== undefined);
  return byRule ?? p.categoryByIndicator[g.anomalies[0]!.indicator_code] ?? p.defaultCategory;
}

function newProblem(g: Group, day: Day, category: string): NewProblem {
  const value = valueOf(g);
  return {
    kind: g.kind,
    indicator_id: g.indicator_id,
    unit_id: g.unit_id,
    owner_unit_id: g.owner_unit_id,
    category,
    severity: severityOf(g),
    first_seen: day,
    last_seen: day,
    anomaly_count: g.anomalies.length,
    worst_value: value,
    first_value: value,
    latest_value: value,
    rules: rulesOf(g),
  };
}

function update(id: number, g: Group, day: Day): ProblemUpdate {
  const value = valueOf(g);
  return { id, day, count: g.anomalies.length, severity: severityOf(g), worst_value: value, value, rules: rulesOf(g) };
}
