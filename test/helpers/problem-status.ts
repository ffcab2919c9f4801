import type { ProblemState, ProblemStatus } from '../../src/domain/problem-state';

/** A problem's stored status: nothing confirmed, signed, assigned or closed, unless `extra` says so. */
export function problemStatus(state: ProblemState, extra: Partial<ProblemStatus> = {}): ProblemStatus {
  return {
    state,
    dataConfirmed: false,
    signedOffBy: null,
    assignedOn: null,
    deadline: null,
    closedOn: null,
    escalation: 'none',
    reopenCount: 0,
    letterId: null,
    ...extra,
  };
}
