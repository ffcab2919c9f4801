import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import type { ProblemRow } from '../db/schema';
import { inTransaction } from '../db/transactions';
import { Day, dayIn } from '../domain/day';
import { deadlineFor } from '../domain/problem-deadline';
import { ProblemAction, ProblemState, ProblemStatus, STATE_LABELS, transition, TransitionRefused } from '../domain/problem-state';
import { WorkingCalendar } from '../domain/working-calendar';
import { ProblemRepository } from '../repositories/problem.repository';
import { LedgerService } from './ledger.service';

/** What an action records beyond the action itself. */
export interface ActionDetails {
  actor: string;
  /** The day the action counts for (reconciliation: the data day); default today in the configured zone. */
  on?: Day;
  note?: string;
  evidence?: string[];
}

const EVENT_TYPES: Record<ProblemAction['type'], string> = {
  assign: 'problem_assigned',
  respond: 'problem_responded',
  data_confirmed: 'problem_data_confirmed',
  data_regressed: 'problem_data_regressed',
  verify: 'problem_verified',
  close: 'problem_closed',
  dismiss: 'problem_dismissed',
  reopen: 'problem_reopened',
};

/**
 * The operators' and the reconciliation's actions on one problem: the state machine of `src/domain` decides, this
 * stores the outcome and its ledger event (who, what, from which state to which) in one transaction.
 */
export class ProblemActionService {
  private readonly calendar: WorkingCalendar;

  constructor(private readonly deps: { db: Db; config: Pick<DubanConfig, 'calendar' | 'problems' | 'timezone'>; now?: () => Date }) {
    this.calendar = new WorkingCalendar(deps.config.calendar);
  }

  async act(problemId: number, action: ProblemAction, details: ActionDetails): Promise<{ from: ProblemState; problem: ProblemRow }> {
    return inTransaction(this.deps.db, async (tx) => {
      const repo = new ProblemRepository(tx);
      const problem = await repo.lockOne(problemId);
      if (!problem) throw new TransitionRefused(`没有编号为 ${problemId} 的问题`);
      const before: ProblemStatus = { state: problem.state, dataConfirmed: problem.data_confirmed, signedOffBy: problem.signed_off_by };
      const after = transition(before, action, this.deps.config.problems.closePolicy);
      const today = details.on ?? dayIn(this.deps.config.timezone, this.deps.now?.() ?? new Date());
      const allowedDays = this.deps.config.problems.deadlines[problem.category];
      if (action.type === 'assign' && allowedDays === undefined) {
        throw new TransitionRefused(`问题类别“${problem.category}”在配置 problems.deadlines 中没有整改期限`);
      }
      const assignedOn = action.type === 'assign' ? today : after.state === 'open' ? null : problem.assigned_on;
      const saved = {
        state: after.state,
        data_confirmed: after.dataConfirmed,
        signed_off_by: after.signedOffBy,
        assigned_on: assignedOn,
        deadline: assignedOn === null ? null : action.type === 'assign' ? deadlineFor(this.calendar, today, allowedDays!) : problem.deadline,
        closed_on: after.state === 'closed' ? today : null,
        // A new assignment starts a new deadline, so the ladder starts again.
        escalation: action.type === 'assign' || action.type === 'reopen' ? ('none' as const) : problem.escalation,
        reopen_count: problem.reopen_count + (action.type === 'reopen' ? 1 : 0),
      };
      await repo.saveStatus(problemId, saved);
      const { type: _type, ...said } = action as ProblemAction & Record<string, unknown>;
      await new LedgerService(tx).append(
        [
          {
            type: EVENT_TYPES[action.type],
            actor: details.actor,
            problemId: String(problemId),
            unitId: problem.unit_id,
            indicatorId: problem.indicator_id,
            payload: {
              from: before.state,
              to: after.state,
              day: today,
              ...said,
              ...(details.note ? { note: details.note } : {}),
              ...(details.evidence?.length ? { evidence: details.evidence } : {}),
              ...(action.type === 'assign' ? { deadline: saved.deadline } : {}),
            },
          },
        ],
        tx,
      );
      return { from: before.state, problem: { ...problem, ...saved } };
    });
  }
}

/** e.g. 问题 12：整改中 → 待核验 */
export function describeMove(id: number, from: ProblemState, to: ProblemState): string {
  return from === to ? `问题 ${id}：仍为${STATE_LABELS[to]}` : `问题 ${id}：${STATE_LABELS[from]} → ${STATE_LABELS[to]}`;
}
