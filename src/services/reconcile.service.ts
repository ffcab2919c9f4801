import type { Db } from '../db/database';
import { inTransaction } from '../db/transactions';
import { crashPoint } from '../crash-points';
import type { Day } from '../domain/day';
import type { EscalationLevel } from '../domain/problem-deadline';
import { escalationDue } from '../domain/problem-state';
import type { Logger } from '../logger';
import { ProblemRepository } from '../repositories/problem.repository';
import { ProblemRulesConfig, ProblemTransitions } from './problem-transitions';

export interface ReconcileSummary {
  day: Day;
  confirmed: number;
  regressed: number;
  escalated: Array<{ problemId: number; level: EscalationLevel; overdue: number }>;
}

/**
 * 对账 for one day, after its evaluation: the data confirm recovery (the series reported and free of the problem's
 * kind of anomaly for `confirmWorkingDays` working days running) or contradict it, and problems past their deadline
 * step up 提醒 → 督办 → 通报 as working days pass. Each change is a decision of the domain and a ledger event.
 */
export class ReconcileService {
  constructor(private readonly deps: { db: Db; config: ProblemRulesConfig; logger: Logger }) {}

  async reconcileDay(day: Day): Promise<ReconcileSummary> {
    return inTransaction(this.deps.db, async (tx) => {
      const repo = new ProblemRepository(tx);
      await repo.lock();
      const transitions = new ProblemTransitions(tx, this.deps.config);
      const { calendar } = transitions.rules;

      // In this order, each reading what the one before stored: a regression voids a confirmation before recovery is
      // looked for, and escalation sees the states both left.
      const regressed = await transitions.apply(await repo.regressedOn(day), () => ({ type: 'data_regressed', day }), 'duban');

      const days = [day];
      for (let k = 1; k < this.deps.config.problems.confirmWorkingDays; k++) days.push(calendar.addWorkingDays(day, -k));
      const note = `${days.at(-1)} 至 ${day} 连续 ${days.length} 个工作日数据正常`;
      const confirmed = await transitions.apply(await repo.recoveredOver(days), () => ({ type: 'data_confirmed', day, note }), 'duban');

      // Only upwards: a step once taken is not taken again when a later day is reconciled first.
      const due = (await repo.pastDeadline(day)).filter((p) => escalationDue({ state: p.state, deadline: p.deadline, escalation: p.escalation }, day, transitions.rules));
      const escalated = await transitions.apply(due, () => ({ type: 'escalate', day }), 'duban');

      crashPoint('reconcile.uncommitted');
      const summary: ReconcileSummary = {
        day,
        confirmed: confirmed.length,
        regressed: regressed.length,
        escalated: escalated.map(({ problem, decision }) => {
          const e = decision.event;
          return { problemId: problem.id, level: decision.status.escalation, overdue: e.type === 'problem_escalated' ? e.payload.overdueWorkingDays : 0 };
        }),
      };
      this.deps.logger.info({ day, confirmed: summary.confirmed, regressed: summary.regressed, escalated: escalated.length }, 'problems reconciled');
      return summary;
    });
  }
}
