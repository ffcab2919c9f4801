import fc from 'fast-check';
import { loadConfig } from '../../src/config/load-config';
import { addDays } from '../../src/domain/day';
import { DEFAULT_LADDER } from '../../src/domain/problem-deadline';
import { compareWithRows, describeDisagreement, ProblemReplay, ReplayedProblem } from '../../src/domain/problem-replay';
import {
  ClosePolicy,
  decide,
  mergeDuplicates,
  openProblem,
  ProblemAction,
  ProblemRules,
  ProblemStatus,
  TransitionRefused,
} from '../../src/domain/problem-state';
import type { ProblemEvent as LedgerProblemEvent } from '../../src/domain/ledger-events';
import { WorkingCalendar } from '../../src/domain/working-calendar';

const calendar = new WorkingCalendar(loadConfig().calendar);
const rulesFor = (closePolicy: ClosePolicy): ProblemRules => ({
  calendar,
  closePolicy,
  deadlines: { simple: 5, cross_department: 15, complex: 22 },
  ladder: DEFAULT_LADDER,
  reopenWithinWorkingDays: 20,
});

/** What a stored status says in the replay's terms: the letter by its number, which the ledger records. */
function asReplayed(s: ProblemStatus, letterNos: Map<number, string>, mergedInto: number | null = null): ReplayedProblem {
  const { letterId, ...rest } = s;
  return { ...rest, letterNo: letterId === null ? null : letterNos.get(letterId)!, mergedInto };
}

/** Actions of every kind, on days that move forward, so deadlines pass and escalations come due. */
const actionArb: fc.Arbitrary<(day: string) => ProblemAction> = fc.oneof(
  fc.constant((day: string) => ({ type: 'assign' as const, day })),
  fc.integer({ min: 1, max: 3 }).map((n) => (day: string) => ({ type: 'assign_by_letter' as const, day, letterId: n, letterNo: `宣数督〔2026〕48-0${n}号` })),
  fc.constant((day: string) => ({ type: 'respond' as const, day, measures: '已整改' })),
  fc.constant((day: string) => ({ type: 'data_confirmed' as const, day })),
  fc.constant((day: string) => ({ type: 'data_regressed' as const, day })),
  fc.constantFrom('王核验', '李核验').map((by) => (day: string) => ({ type: 'verify' as const, day, by })),
  fc.constant((day: string) => ({ type: 'close' as const, day })),
  fc.constant((day: string) => ({ type: 'dismiss' as const, day, reason: '误报' })),
  fc.constant((day: string) => ({ type: 'reopen' as const, day, reason: '再次异常' })),
  fc.constant((day: string) => ({ type: 'recur' as const, day, kind: 'value', anomalyIds: [1] })),
  fc.constant((day: string) => ({ type: 'escalate' as const, day })),
);

describe('replaying a problem from its ledger events', () => {
  it('gives back exactly the status decide stored, after any sequence of actions (both close policies)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(actionArb, fc.integer({ min: 0, max: 6 })), { maxLength: 40 }),
        fc.boolean(),
        (steps, requireSignOff) => {
          const rules = rulesFor({ requireDataConfirmation: true, requireSignOff });
          const letterNos = new Map([1, 2, 3].map((n) => [n, `宣数督〔2026〕48-0${n}号`]));
          const opened = openProblem({ kind: 'value', day: '2026-10-08', anomalyIds: [1], ownerUnitId: 1 });
          let status: ProblemStatus = opened.status;
          const replay = new ProblemReplay();
          let seq = 0;
          const feed = (event: LedgerProblemEvent) => replay.apply({ seq: String(++seq), type: event.type, problemId: 7, payload: JSON.parse(JSON.stringify(event.payload)) });
          feed(opened.event);
          let day = '2026-10-08';
          for (const [make, gap] of steps) {
            day = addDays(day, gap);
            let decision;
            try {
              decision = decide(status, 'simple', make(day), rules);
            } catch (err) {
              if (err instanceof TransitionRefused) continue;
              throw err;
            }
            status = decision.status;
            feed(decision.event);
          }
          expect(replay.contradictions).toEqual([]);
          expect(replay.problems.get(7)).toEqual(asReplayed(status, letterNos));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('follows a merge of duplicates: the survivor takes the first assignment, the others end merged into it', () => {
    const rules = rulesFor({ requireDataConfirmation: true, requireSignOff: true });
    const replay = new ProblemReplay();
    let seq = 0;
    const feed = (id: number, event: LedgerProblemEvent) => replay.apply({ seq: String(++seq), type: event.type, problemId: id, payload: event.payload });
    const statuses = new Map<number, ProblemStatus>();
    for (const id of [3, 5, 9]) {
      const o = openProblem({ kind: 'value', day: '2026-10-08', anomalyIds: [id], ownerUnitId: 1 });
      feed(id, o.event);
      statuses.set(id, o.status);
    }
    for (const [id, day] of [[5, '2026-10-09'], [9, '2026-10-12']] as const) {
      const d = decide(statuses.get(id)!, 'simple', { type: 'assign', day }, rules);
      feed(id, d.event);
      statuses.set(id, d.status);
    }
    for (const { id, decision } of mergeDuplicates([...statuses].map(([id, status]) => ({ id, status })), '2026-10-13', '合并')) {
      feed(id, decision.event);
      statuses.set(id, decision.status);
    }
    expect(replay.contradictions).toEqual([]);
    expect(replay.problems.get(3)).toEqual(asReplayed(statuses.get(3)!, new Map()));
    expect(replay.problems.get(3)).toMatchObject({ state: 'assigned', assignedOn: '2026-10-09' });
    expect(replay.problems.get(5)).toEqual(asReplayed(statuses.get(5)!, new Map(), 3));
    expect(replay.problems.get(9)).toMatchObject({ state: 'merged', mergedInto: 3 });
  });

  it('names a stored row that disagrees with its events, by problem and field, and rows or events without the other', () => {
    const replay = new ProblemReplay();
    replay.apply({ seq: '1', type: 'problem_opened', problemId: 1, payload: { kind: 'value', day: '2026-10-08', anomalyIds: [1], ownerUnitId: 1 } });
    replay.apply({ seq: '2', type: 'problem_assigned', problemId: 1, payload: { from: 'open', to: 'assigned', day: '2026-10-09', deadline: '2026-10-16' } });
    replay.apply({ seq: '3', type: 'problem_opened', problemId: 2, payload: { kind: 'value', day: '2026-10-08', anomalyIds: [2], ownerUnitId: 1 } });
    const row1 = { id: 1, ...replay.problems.get(1)!, state: 'closed' as const, signedOffBy: '张三' };
    const found = compareWithRows(replay.problems, [row1, { id: 4, ...replay.problems.get(2)! }]);
    expect(found.map(describeDisagreement)).toEqual([
      '问题 1 的状态：台账记载为“整改中”，问题表中为“已销号”',
      '问题 1 的核验人：台账记载为“（空）”，问题表中为“张三”',
      '问题 2 在台账中有记录，问题表中却没有这一行',
      '问题 4 在问题表中存在，台账中却没有它的任何记录',
    ]);
  });

  it('flags events that contradict the story so far: a move from another state, an event before the problem was found', () => {
    const replay = new ProblemReplay();
    replay.apply({ seq: '1', type: 'problem_closed', problemId: 1, payload: { from: 'pending_verification', to: 'closed', day: '2026-10-09' } });
    replay.apply({ seq: '2', type: 'problem_opened', problemId: 1, payload: { kind: 'value', day: '2026-10-08', anomalyIds: [1], ownerUnitId: 1 } });
    replay.apply({ seq: '3', type: 'problem_closed', problemId: 1, payload: { from: 'pending_verification', to: 'closed', day: '2026-10-09' } });
    expect(replay.contradictions).toEqual([
      { problemId: 1, seq: '1', message: '此前没有发现该问题的记录' },
      { problemId: 1, seq: '3', message: '事件记载原状态为“待核验”，按台账此时为“待交办”' },
    ]);
  });
});
