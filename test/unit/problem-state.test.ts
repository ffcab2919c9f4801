import {
  allowedActions,
  DEFAULT_CLOSE_POLICY,
  ProblemAction,
  ProblemState,
  ProblemStatus,
  transition,
  TransitionRefused,
} from '../../src/domain/problem-state';

const fresh = (state: ProblemState, extra: Partial<ProblemStatus> = {}): ProblemStatus => ({
  state,
  dataConfirmed: false,
  signedOffBy: null,
  ...extra,
});

const actions: ProblemAction[] = [
  { type: 'assign' },
  { type: 'respond', measures: '已增派窗口人员，补录办件' },
  { type: 'data_confirmed' },
  { type: 'data_regressed' },
  { type: 'verify', by: '王核验' },
  { type: 'close' },
  { type: 'dismiss', reason: '申诉成立，差评属误评' },
  { type: 'reopen', reason: '指标再次低于预警值' },
];
const states: ProblemState[] = ['open', 'assigned', 'pending_verification', 'closed', 'dismissed'];

/** Where each allowed action leads from a status with nothing confirmed or signed. */
const expected: Record<ProblemState, Partial<Record<ProblemAction['type'], ProblemState>>> = {
  open: { assign: 'assigned', data_confirmed: 'open', data_regressed: 'open', dismiss: 'dismissed' },
  assigned: { respond: 'pending_verification', data_confirmed: 'assigned', data_regressed: 'assigned', dismiss: 'dismissed' },
  pending_verification: {
    respond: 'pending_verification',
    data_confirmed: 'pending_verification',
    data_regressed: 'assigned',
    verify: 'pending_verification',
    dismiss: 'dismissed',
  },
  closed: { reopen: 'open' },
  dismissed: { reopen: 'open' },
};

describe('problem state machine', () => {
  for (const state of states) {
    for (const action of actions) {
      const to = expected[state][action.type];
      if (to) {
        it(`${state} --${action.type}--> ${to}`, () => {
          expect(transition(fresh(state), action).state).toBe(to);
        });
      } else if (!(state === 'pending_verification' && action.type === 'close')) {
        it(`${state} refuses ${action.type}, saying the state and what it allows`, () => {
          expect(() => transition(fresh(state), action)).toThrow(TransitionRefused);
          expect(() => transition(fresh(state), action)).toThrow(/^问题当前为“.+”，不能.+；此状态下可以：.+$/);
        });
      }
    }
  }

  it('names the allowed actions in the refusal', () => {
    expect(() => transition(fresh('closed'), { type: 'close' })).toThrow('问题当前为“已销号”，不能销号；此状态下可以：重新打开');
    expect(allowedActions('closed')).toEqual(['reopen']);
  });

  it('closes by default only with both the data and a sign-off', () => {
    const pending = fresh('pending_verification');
    expect(() => transition(pending, { type: 'close' })).toThrow('不能销号：数据尚未确认恢复，尚无核验人签字');
    expect(() => transition({ ...pending, dataConfirmed: true }, { type: 'close' })).toThrow('不能销号：尚无核验人签字');
    expect(() => transition({ ...pending, signedOffBy: '王核验' }, { type: 'close' })).toThrow('不能销号：数据尚未确认恢复');
    expect(transition({ ...pending, dataConfirmed: true, signedOffBy: '王核验' }, { type: 'close' }).state).toBe('closed');
  });

  it('closes on what a looser policy asks', () => {
    const dataOnly = { requireDataConfirmation: true, requireSignOff: false };
    expect(transition(fresh('pending_verification', { dataConfirmed: true }), { type: 'close' }, dataOnly).state).toBe('closed');
    // Without a checker to wait for, recovery moves an assigned problem to 待核验 by itself.
    expect(transition(fresh('assigned'), { type: 'data_confirmed' }, dataOnly).state).toBe('pending_verification');
    expect(transition(fresh('assigned'), { type: 'data_confirmed' }, DEFAULT_CLOSE_POLICY).state).toBe('assigned');
  });

  it('voids a sign-off when the data regress, and forgets everything on reopening', () => {
    const signed = fresh('pending_verification', { dataConfirmed: true, signedOffBy: '王核验' });
    expect(transition(signed, { type: 'data_regressed' })).toEqual(fresh('assigned'));
    expect(transition(fresh('closed', { dataConfirmed: true, signedOffBy: '王核验' }), { type: 'reopen', reason: '回退' })).toEqual(
      fresh('open'),
    );
  });

  it('refuses empty measures, checkers and reasons', () => {
    expect(() => transition(fresh('assigned'), { type: 'respond', measures: ' ' })).toThrow('反馈整改措施时必须写明措施');
    expect(() => transition(fresh('pending_verification'), { type: 'verify', by: '' })).toThrow('核验签字必须写明核验人');
    expect(() => transition(fresh('open'), { type: 'dismiss', reason: '' })).toThrow('撤销问题必须说明原因');
    expect(() => transition(fresh('closed'), { type: 'reopen', reason: '' })).toThrow('重新打开问题必须说明原因');
  });
});
