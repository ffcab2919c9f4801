import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { inTransaction } from '../db/transactions';
import type { Day } from '../domain/day';
import { WorkingCalendar } from '../domain/working-calendar';
import type { Logger } from '../logger';
import { openProblem } from '../domain/problem-state';
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

/** A day's anomalies on one series, of one kind of rule: they go to one problem. */
interface Group extends ProblemKey {
  anomalies: UnattachedAnomaly[];
}

/**
 * Turns anomalies into problems (问题): one live problem per indicator, unit and kind of rule, to which later anomalies
 * attach; a problem closed within the reopen window is reopened rather than duplicated. Opening and reopening are
 * ledger events, written in the same transaction.
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
      const groups = groupBySeries(anomalies);
      const keyOf = (k: ProblemKey) => `${k.indicator_id}/${k.unit_id}/${k.kind}`;

      const live = new Map((await repo.live(groups)).map((p) => [keyOf(p), p.id]));
      const rest = groups.filter((g) => !live.has(keyOf(g)));
      const since = this.calendar.addWorkingDays(day, -this.deps.config.problems.reopenWithinWorkingDays);
      const closed = new Map((await repo.closedSince(rest, since)).map((p) => [keyOf(p), p]));
      const transitions = new ProblemTransitions(tx, this.deps.config);
      // Reopened problems are decided and their events appended after the new ones', as before: the ledger's order.
      const recurring = rest.filter((g) => closed.has(keyOf(g)));
      const reopened = recurring.map((g) => transitions.decide(closed.get(keyOf(g))!, { type: 'recur', day, kind: g.kind, anomalyIds: g.anomalies.map((a) => a.id) }));

      const fresh = rest.filter((g) => !closed.has(keyOf(g)));
      const openings = new Map(fresh.map((g) => [keyOf(g), openProblem({ kind: g.kind, day, anomalyIds: g.anomalies.map((a) => a.id), ownerUnitId: ownerOf(g) })]));
      const created: Array<ProblemKey & { id: number }> = [];
      const category = (g: Group) => categoryOf(g, this.deps.config.problems);
      for (let i = 0; i < fresh.length; i += 5000) {
        created.push(...(await repo.insertOpened(fresh.slice(i, i + 5000).map((g) => ({ ...newProblem(g, day, category(g)), status: openings.get(keyOf(g))!.status })))));
      }
      const idOf = new Map<string, number>([...live, ...recurring.map((g) => [keyOf(g), closed.get(keyOf(g))!.id] as const), ...created.map((p) => [keyOf(p), p.id] as const)]);

      // New problems were inserted with their first day's anomalies; the rest take theirs now.
      const freshKeys = new Set(openings.keys());
      await repo.attach(groups.filter((g) => !freshKeys.has(keyOf(g))).map((g) => update(idOf.get(keyOf(g))!, g, day)));
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

function groupBySeries(anomalies: UnattachedAnomaly[]): Group[] {
  const groups = new Map<string, Group>();
  for (const a of anomalies) {
    const key = `${a.indicator_id}/${a.unit_id}/${a.kind}`;
    const g = groups.get(key) ?? { indicator_id: a.indicator_id, unit_id: a.unit_id, kind: a.kind, anomalies: [] };
    g.anomalies.push(a);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** The unit that must fix it: the unit itself, but for unreported data the indicator's data-source department. */
function ownerOf(g: Group): number {
  const a = g.anomalies[0]!;
  return g.kind === 'missing' && a.source_department_id !== null ? a.source_department_id : g.unit_id;
}

function severityOf(g: Group): 'warning' | 'major' {
  return g.anomalies.some((a) => a.severity === 'major') ? 'major' : 'warning';
}

/** The day's value furthest on the bad side of the indicator's direction (Postgres compares it with the stored one). */
function worstOf(g: Group): string | null {
  const values = g.anomalies.map((a) => a.observed_value).filter((v): v is string => v !== null);
  if (values.length === 0) return null;
  const higherIsBetter = g.anomalies[0]!.direction === 'higher';
  return values.reduce((w, v) => ((higherIsBetter ? Number(v) < Number(w) : Number(v) > Number(w)) ? v : w));
}

/** The rule that raised it decides first, then the indicator, then the default. */
function categoryOf(g: Group, p: DubanConfig['problems']): string {
  const byRule = g.anomalies.map((a) => p.categoryByRule[a.rule_id]).find((c) => c !== undefined);
  return byRule ?? p.categoryByIndicator[g.anomalies[0]!.indicator_code] ?? p.defaultCategory;
}

function newProblem(g: Group, day: Day, category: string): NewProblem {
  return {
    indicator_id: g.indicator_id,
    unit_id: g.unit_id,
    kind: g.kind,
    owner_unit_id: ownerOf(g),
    category,
    severity: severityOf(g),
    first_seen: day,
    last_seen: day,
    anomaly_count: g.anomalies.length,
    worst_value: worstOf(g),
  };
}

function update(id: number, g: Group, day: Day): ProblemUpdate {
  return { id, day, count: g.anomalies.length, severity: severityOf(g), worst_value: worstOf(g) };
}
