import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { inTransaction } from '../db/transactions';
import { crashPoint } from '../ops/crash-points';
import type { Day } from '../domain/day';
import { ESCALATION_LABELS, EscalationLevel, escalationLevel, overdueWorkingDays } from '../domain/problem-deadline';
import { WorkingCalendar } from '../domain/working-calendar';
import type { Logger } from '../logger';
import { ProblemRepository } from '../repositories/problem.repository';
import { LedgerEntry, LedgerService } from './ledger.service';
import { ProblemActionService } from './problem-action.service';

export interface ReconcileSummary {
  day: Day;
  confirmed: number;
  regressed: number;
  escalated: Array<{ problemId: number; level: EscalationLevel; overdue: number }>;
}

const LADDER_ORDER: EscalationLevel[] = ['none', 'remind', 'supervise', 'notify'];

/**
 * 对账 for one day, after its evaluation: the data confirm recovery (the series reported and free of the problem's
 * kind of anomaly for `confirmWorkingDays` working days running) or contradict it, and problems past their deadline
 * step up 提醒 → 督办 → 通报 as working days pass. Each change goes through the state machine and is a ledger event.
 */
export class ReconcileService {
  private readonly calendar: WorkingCalendar;

  constructor(private readonly deps: { db: Db; config: Pick<DubanConfig, 'calendar' | 'problems' | 'timezone'>; logger: Logger }) {
    this.calendar = new WorkingCalendar(deps.config.calendar);
  }

  async reconcileDay(day: Day): Promise<ReconcileSummary> {
    return inTransaction(this.deps.db, async (tx) => {
      const repo = new ProblemRepository(tx);
      await repo.lock();
      const actions = new ProblemActionService({ ...this.deps, db: tx });
      const details = { actor: 'duban', on: day };

      const regressed = await repo.regressedOn(day);
      for (const id of regressed) await actions.act(id, { type: 'data_regressed' }, details);

      const days = [day];
      for (let k = 1; k < this.deps.config.problems.confirmWorkingDays; k++) days.push(this.calendar.addWorkingDays(day, -k));
      const recovered = await repo.recoveredOver(days);
      for (const id of recovered) await actions.act(id, { type: 'data_confirmed' }, { ...details, note: `${days.at(-1)} 至 ${day} 连续 ${days.length} 个工作日数据正常` });

      const escalated: ReconcileSummary['escalated'] = [];
      const events: LedgerEntry[] = [];
      for (const p of await repo.pastDeadline(day)) {
        const overdue = overdueWorkingDays(this.calendar, p.deadline!, day);
        const level = escalationLevel(overdue, this.deps.config.problems.escalation);
        // Only upwards: a step once taken is not taken again when a later day is reconciled first.
        if (LADDER_ORDER.indexOf(level) <= LADDER_ORDER.indexOf(p.escalation)) continue;
        await repo.setEscalation(p.id, level);
        escalated.push({ problemId: p.id, level, overdue });
        events.push({
          type: 'problem_escalated',
          actor: 'duban',
          problemId: String(p.id),
          unitId: p.unit_id,
          indicatorId: p.indicator_id,
          payload: { day, level, label: ESCALATION_LABELS[level], deadline: p.deadline, overdueWorkingDays: overdue },
        });
      }
      await new LedgerService(tx).append(events, tx);
      crashPoint('reconcile.uncommitted');
      const summary = { day, confirmed: recovered.length, regressed: regressed.length, escalated };
      this.deps.logger.info({ day, confirmed: summary.confirmed, regressed: summary.regressed, escalated: escalated.length }, 'problems reconciled');
      return summary;
    });
  }
}
