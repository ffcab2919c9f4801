import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import type { ProblemRow } from '../db/schema';
import { inTransaction } from '../db/transactions';
import { Day, dayIn } from '../domain/day';
import { ProblemAction, ProblemState, STATE_LABELS, TransitionRefused } from '../domain/problem-state';
import { EvidenceRepository, EvidenceUpload } from '../repositories/evidence.repository';
import { ProblemListFilter, ProblemRepository } from '../repositories/problem.repository';
import { ConfirmationReader } from './confirmation-reader';
import { ProblemRulesConfig, ProblemTransitions } from './problem-transitions';

/** An action as a person asks for it; the day it counts for is added here. */
export type RequestedAction = ProblemAction extends infer A ? (A extends { day: Day } ? Omit<A, 'day'> : never) : never;

/** Actions a person may ask for; the others are the daemon's own. */
export type ManualAction = Extract<RequestedAction, { type: 'assign' | 'respond' | 'verify' | 'send_back' | 'close' | 'dismiss' | 'reopen' }>;

export interface ActionDetails {
  /** Who acts; recorded as the ledger event's actor. */
  actor: string;
  /** The day the action counts for; default today in the configured zone. */
  on?: Day;
}

/**
 * Operators', departments' and checkers' actions on one problem, and the lists they act from. The domain decides;
 * this locks the problem and commits the decision with its ledger event in one transaction.
 */
export class ProblemActionService {
  constructor(private readonly deps: { db: Db; config: ProblemRulesConfig & Pick<DubanConfig, 'timezone' | 'ingest'>; now?: () => Date }) {}

  /**
   * `attach`: files a reply brings (a respond only). They are stored in the action's transaction and named, with their
   * SHA-256, in its ledger event: a refused action keeps none of them.
   */
  async act(problemId: number, action: ManualAction, details: ActionDetails, attach: EvidenceUpload[] = []): Promise<{ from: ProblemState; problem: ProblemRow }> {
    const day = details.on ?? dayIn(this.deps.config.timezone, this.deps.now?.() ?? new Date());
    if (attach.length > 0 && action.type !== 'respond') throw new TransitionRefused('只有反馈整改时可以附证据文件');
    return inTransaction(this.deps.db, async (tx) => {
      const repo = new ProblemRepository(tx);
      const [problem] = await repo.lockMany([problemId]);
      if (!problem) throw new TransitionRefused(`没有编号为 ${problemId} 的问题`);
      if (action.type === 'respond' && attach.length > 0) {
        action = { ...action, evidenceFiles: await new EvidenceRepository(tx).insert(problemId, attach, details.actor) };
      }
      const transitions = new ProblemTransitions(tx, this.deps.config);
      if (action.type === 'close' && problem.data_confirmed && transitions.rules.closePolicy.requireDataConfirmation) {
        // A close rests on the data as they stand now, not as the last reconciliation found them: values may have come
        // in or been revised since.
        const [weighed] = await repo.liveForReconcile([problemId]);
        const now = weighed && (await new ConfirmationReader(tx, this.deps.config).of([weighed])).get(problemId);
        if (now && !now.confirmed) throw new TransitionRefused(`不能销号：数据确认已不再成立（${now.note}），待对账后再核`);
      }
      const decided = transitions.decide(problem, { ...action, day } as ProblemAction);
      await transitions.commit([decided], details.actor);
      const [after] = await repo.lockMany([problemId]);
      return { from: problem.state, problem: after! };
    });
  }

  list(filter: ProblemListFilter) {
    return new ProblemRepository(this.deps.db).list(filter);
  }

  show(id: number) {
    return new ProblemRepository(this.deps.db).show(id);
  }

  evidence(problemId: number) {
    return new EvidenceRepository(this.deps.db).list(problemId);
  }

  evidenceFile(problemId: number, id: number) {
    return new EvidenceRepository(this.deps.db).get(problemId, id);
  }
}

/** e.g. 问题 12：整改中 → 待核验 */
export function describeMove(id: number, from: ProblemState, to: ProblemState): string {
  return from === to ? `问题 ${id}：仍为${STATE_LABELS[to]}` : `问题 ${id}：${STATE_LABELS[from]} → ${STATE_LABELS[to]}`;
}
