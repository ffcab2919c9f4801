import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import type { ProblemRow } from '../db/schema';
import { decide, Decision, ProblemAction, ProblemRules } from '../domain/problem-state';
import { WorkingCalendar } from '../domain/working-calendar';
import { ProblemRepository, statusOf } from '../repositories/problem.repository';
import { LedgerService } from './ledger.service';

export type ProblemRulesConfig = Pick<DubanConfig, 'calendar' | 'problems'>;

/** The decisions' rules as the configuration sets them. */
export function problemRules(config: ProblemRulesConfig, calendar = new WorkingCalendar(config.calendar)): ProblemRules {
  const p = config.problems;
  return { calendar, closePolicy: p.closePolicy, deadlines: p.deadlines, ladder: p.escalation, reopenWithinWorkingDays: p.reopenWithinWorkingDays };
}

/** A problem and the decision taken on it. */
export interface Decided {
  problem: ProblemRow;
  decision: Decision;
}

/**
 * Applies actions to problems the caller has locked in its transaction: the domain decides each one (refusing what
 * the state does not allow), then every decided status is stored in one statement and every event appended, in
 * order, to the ledger. The one way a service changes a problem's state.
 */
export class ProblemTransitions {
  readonly rules: ProblemRules;

  constructor(
    private readonly tx: Db,
    config: ProblemRulesConfig,
  ) {
    this.rules = problemRules(config);
  }

  decide(problem: ProblemRow, action: ProblemAction): Decided {
    return { problem, decision: decide(statusOf(problem), problem.category, action, this.rules) };
  }

  /** Stores the decisions and their ledger events; `actor` is who took them. */
  async commit(decided: Decided[], actor: string): Promise<void> {
    if (decided.length === 0) return;
    await new ProblemRepository(this.tx).saveDecisions(decided.map((d) => ({ id: d.problem.id, status: d.decision.status })));
    await new LedgerService(this.tx).append(
      decided.map(({ problem, decision }) => ({
        ...decision.event,
        actor,
        problemId: String(problem.id),
        unitId: problem.unit_id,
        indicatorId: problem.indicator_id,
      })),
      this.tx,
    );
  }

  /** Decides `actionOf` for each problem and commits them together; returns what was decided. */
  async apply(problems: ProblemRow[], actionOf: (p: ProblemRow) => ProblemAction, actor: string): Promise<Decided[]> {
    const decided = problems.map((p) => this.decide(p, actionOf(p)));
    await this.commit(decided, actor);
    return decided;
  }
}
