import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { useAnalyticSettings } from '../db/analytic-settings';
import { refreshStatistics } from '../db/table-statistics';
import { inTransaction } from '../db/transactions';
import { crashPoint } from '../crash-points';
import type { Day } from '../domain/day';
import type { EscalationLevel } from '../domain/problem-deadline';
import { escalationDue } from '../domain/problem-state';
import type { Logger } from '../logger';
import { ProblemRepository } from '../repositories/problem.repository';
import { ConfirmationReader } from './confirmation-reader';
import { ProblemRulesConfig, ProblemTransitions } from './problem-transitions';

export interface ReconcileSummary {
  day: Day;
  confirmed: number;
  regressed: number;
  escalated: Array<{ problemId: number; level: EscalationLevel; overdue: number }>;
}

/**
 * 对账: the data confirm a problem's recovery or take the confirmation back, and problems past their deadline step up
 * 提醒 → 督办 → 通报 as working days pass. Whether the data confirm a problem is asked of the data as they stand
 * (src/domain/problem-confirmation.ts), for every live problem, whatever day is being reconciled: so reconciling,
 * re-running or replaying days in any order comes to the same answer, and a breach found later (late or revised data)
 * takes back a confirmation not yet closed on. The day reconciled says only how far the deadlines have run. Each change
 * is a decision of the domain and a ledger event.
 */
export class ReconcileService {
  constructor(private readonly deps: { db: Db; config: ProblemRulesConfig & Pick<DubanConfig, 'ingest'>; logger: Logger }) {}

  async reconcileDay(day: Day): Promise<ReconcileSummary> {
    await this.refreshStatistics(day);
    return inTransaction(this.deps.db, async (tx) => {
      const repo = new ProblemRepository(tx);
      await repo.lock();
      // Every live problem's evidence in a few statements, each over thousands of rows: JIT costs more than it saves.
      await useAnalyticSettings(tx);
      const transitions = new ProblemTransitions(tx, this.deps.config);

      const live = await repo.liveForReconcile();
      const answers = await new ConfirmationReader(tx, this.deps.config).of(live);
      const changed = live.filter((p) => answers.get(p.id)!.confirmed !== p.data_confirmed);
      // Taken back first, then given: a sign-off on data that no longer hold is void before anything is confirmed.
      const regressed = await transitions.apply(changed.filter((p) => p.data_confirmed), (p) => ({ type: 'data_regressed', day: answers.get(p.id)!.day }), 'duban');
      const confirmed = await transitions.apply(
        changed.filter((p) => !p.data_confirmed),
        (p) => ({ type: 'data_confirmed', day: answers.get(p.id)!.day, note: answers.get(p.id)!.note }),
        'duban',
      );

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

  /**
   * The evaluation before this step wrote the day's anomalies and the problems they make: their statistics are
   * refreshed first (src/db/table-statistics.ts), so that the statements below, and the next day's evaluation, are
   * planned on them. Changes nothing a decision reads; a refresh that fails is logged and left to autovacuum.
   */
  private async refreshStatistics(day: Day): Promise<void> {
    try {
      const analyzed = await refreshStatistics(this.deps.db, ['anomalies', 'problems']);
      if (analyzed.length < 2) this.deps.logger.warn({ day, analyzed }, 'statistics of anomalies and problems not all refreshed: a table was busy; autovacuum will');
    } catch (err) {
      // Inside a caller's transaction the failure has aborted it: that is the caller's to see.
      if (this.deps.db.isTransaction) throw err;
      this.deps.logger.warn({ day, err }, 'statistics of anomalies and problems not refreshed');
    }
  }
}
