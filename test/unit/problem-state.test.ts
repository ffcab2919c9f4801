import { loadConfig } from '../../src/config/load-config';
import {
  allowedActions,
  decide,
  DEFAULT_CLOSE_POLICY,
  escalationDue,
  openProblem,
  PROBLEM_STATES,
  ProblemAction,
  ProblemRules,
  ProblemState,
  ProblemStatus,
  TransitionRefused,
} from '../../src/domain/problem-state';
import { DEFAULT_LADDER } from '../../src/domain/problem-deadline';
import { WorkingCalendar } from '../../src/domain/working-calendar';
import { problemStatus } from '../helpers/problem-status';

const calendar = new WorkingCalendar(loadConfig().calendar);
const rules: ProblemRules = {
  calendar,
  closePolicy: DEFAULT_CLOSE_POLICY,
  deadlines: { simple: 5, cross_department: 15, complex: 22 },
  ladder: DEFAULT_LADDER,
  reopenWithinWorkingDays: 20,
};
const DAY = '2026-09-28';

const fresh = problemStatus;
const act = (status: ProblemStatus, action: ProblemAction, r: ProblemRules = rules) => decide(status, 'simple', action, r);

const actions: ProblemAction[] = [
  { type: 'assign', day: DAY },
  { type: 'assign_by_letter', day: DAY, letterId: 7, letterNo: '宣数督〔2026〕40-01号' },
  { type: 'respond', day: DAY, measures: '已增派窗口人员，补录办件' },
  { type: 'data_confirmed', day: DAY },
  { type: 'data_regressed', day: DAY },
  { type: 'verify', day: DAY, by: '王核验' },
  { type: 'send_back', day: DAY, reason: '佐证材料不能证明已整改' },
  { type: 'close', day: DAY },
  { type: 'dismiss', day: DAY, reason: '申诉成立，差评属误评' },
  { type: 'reopen', day: DAY, reason: '指标再次低于预警值' },
  { type: 'recur', day: DAY, kind: 'threshold', anomalyIds: [1] },
  { type: 'escalate', day: DAY },
];

/** Where each allowed action leads from a status with nothing confirmed or signed (closed on the day before). */
const expected: Record<ProblemState, Partial<Record<ProblemAction['type'], ProblemState>>> = {
  open: { assign: 'assigned', assign_by_letter: 'assigned', data_confirmed: 'open', data_regressed: 'open', dismiss: 'dismissed' },
  assigned: { respond: 'pending_verification', data_confirmed: 'assigned', data_regressed: 'assigned', dismiss: 'dismissed' },
  pending_verification: {
    respond: 'pending_verification',
    data_confirmed: 'pending_verification',
    data_regressed: 'assigned',
    verify: 'pending_verification',
    send_back: 'assigned',
    dismiss: 'dismissed',
  },
  closed: { reopen: 'open', recur: 'open' },
  dismissed: { reopen: 'open' },
  merged: {},
};
/** Allowed in the state, but refused here for what the status lacks (data, a sign-off, a deadline passed). */
const refusedForWant: Array<[ProblemState, ProblemAction['type']]> = [
  ['pending_verification', 'close'],
  ['assigned', 'escalate'],
  ['pending_verification', 'escalate'],
];

describe('the problem state authority', () => {
  const base = (state: ProblemState) => fresh(state, state === 'closed' ? { closedOn: '2026-09-25' } : {});
  for (const state of PROBLEM_STATES) {
    for (const action of actions) {
      const to = expected[state][action.type];
      if (to) {
        it(`${state} --${action.type}--> ${to}`, () => {
          expect(act(base(state), action).status.state).toBe(to);
        });
      } else if (!refusedForWant.some(([s, a]) => s === state && a === action.type)) {
        it(`${state} refuses ${action.type}, saying the state and what it allows`, () => {
          expect(() => act(base(state), action)).toThrow(TransitionRefused);
          expect(() => act(base(state), action)).toThrow(/^问题当前为“.+”，不能.+；此状态下可以：.+$/);
        });
      }
    }
  }

  it('names the actions a person may take in the refusal', () => {
    expect(() => act(fresh('closed'), { type: 'close', day: DAY })).toThrow('问题当前为“已销号”，不能销号；此状态下可以：重新打开');
    expect(allowedActions('closed')).toEqual(['reopen', 'recur']);
  });

  it('returns every stored field and the ledger event of each decision', () => {
    const assigned = act(fresh('open'), { type: 'assign_by_letter', day: DAY, letterId: 7, letterNo: '宣数督〔2026〕40-01号' });
    // Five working days across 国庆, onto the 调休 Saturday.
    expect(assigned.status).toEqual(fresh('assigned', { assignedOn: DAY, deadline: '2026-10-10', letterId: 7 }));
    expect(assigned.event).toEqual({
      type: 'problem_assigned',
      payload: { from: 'open', to: 'assigned', day: DAY, deadline: '2026-10-10', letterNo: '宣数督〔2026〕40-01号' },
    });
    const closed = act(fresh('pending_verification', { dataConfirmed: true, signedOffBy: '王核验', assignedOn: DAY, deadline: '2026-10-10' }), {
      type: 'close',
      day: '2026-10-09',
      note: '材料齐全',
    });
    expect(closed.status).toMatchObject({ state: 'closed', closedOn: '2026-10-09', signedOffBy: '王核验' });
    expect(closed.event).toEqual({ type: 'problem_closed', payload: { from: 'pending_verification', to: 'closed', day: '2026-10-09', note: '材料齐全' } });
    expect(openProblem({ kind: 'threshold', day: DAY, anomalyIds: [3], ownerUnitId: 5 }).status).toEqual(fresh('open'));
  });

  it('closes by default only with both the data and a sign-off', () => {
    const pending = fresh('pending_verification');
    const close: ProblemAction = { type: 'close', day: DAY };
    expect(() => act(pending, close)).toThrow('不能销号：数据尚未确认恢复，尚无核验人签字');
    expect(() => act({ ...pending, dataConfirmed: true }, close)).toThrow('不能销号：尚无核验人签字');
    expect(() => act({ ...pending, signedOffBy: '王核验' }, close)).toThrow('不能销号：数据尚未确认恢复');
    expect(act({ ...pending, dataConfirmed: true, signedOffBy: '王核验' }, close).status.state).toBe('closed');
  });

  it('closes on what a looser policy asks', () => {
    const dataOnly = { ...rules, closePolicy: { requireDataConfirmation: true, requireSignOff: false } };
    expect(act(fresh('pending_verification', { dataConfirmed: true }), { type: 'close', day: DAY }, dataOnly).status.state).toBe('closed');
    // Without a checker to wait for, recovery moves an assigned problem to 待核验 by itself.
    expect(act(fresh('assigned'), { type: 'data_confirmed', day: DAY }, dataOnly).status.state).toBe('pending_verification');
    expect(act(fresh('assigned'), { type: 'data_confirmed', day: DAY }).status.state).toBe('assigned');
  });

  it('voids a sign-off when the data regress, and forgets everything on reopening but the count', () => {
    const signed = fresh('pending_verification', { dataConfirmed: true, signedOffBy: '王核验', assignedOn: DAY, deadline: '2026-10-10' });
    expect(act(signed, { type: 'data_regressed', day: DAY }).status).toEqual(fresh('assigned', { assignedOn: DAY, deadline: '2026-10-10' }));
    const closed = fresh('closed', { dataConfirmed: true, signedOffBy: '王核验', assignedOn: DAY, deadline: '2026-10-10', closedOn: '2026-10-09', letterId: 7 });
    expect(act(closed, { type: 'reopen', day: '2026-10-12', reason: '回退' }).status).toEqual(fresh('open', { reopenCount: 1 }));
  });

  it('reopens on a recurring anomaly only within the window', () => {
    const closed = fresh('closed', { closedOn: '2026-10-09' });
    const recur = (day: string) => act(closed, { type: 'recur', day, kind: 'threshold', anomalyIds: [9] });
    expect(recur('2026-11-05').event).toMatchObject({ type: 'problem_reopened', payload: { closedOn: '2026-10-09', anomalyIds: [9] } });
    expect(() => recur('2026-11-09')).toThrow('问题销号已超过 20 个工作日');
  });

  it('steps up the ladder only to a higher step, as working days pass the deadline', () => {
    const late = fresh('assigned', { assignedOn: '2026-11-16', deadline: '2026-11-23' });
    expect(escalationDue(late, '2026-11-23', rules)).toBeUndefined();
    expect(escalationDue(late, '2026-11-24', rules)).toEqual({ level: 'remind', overdue: 1 });
    const reminded = act(late, { type: 'escalate', day: '2026-11-24' });
    expect(reminded.status.escalation).toBe('remind');
    expect(reminded.event).toMatchObject({ type: 'problem_escalated', payload: { level: 'remind', overdueWorkingDays: 1, deadline: '2026-11-23' } });
    // The second working day over is still 提醒; the third is 督办.
    expect(escalationDue({ ...late, escalation: 'remind' }, '2026-11-25', rules)).toBeUndefined();
    expect(escalationDue({ ...late, escalation: 'remind' }, '2026-11-26', rules)).toEqual({ level: 'supervise', overdue: 3 });
    expect(() => act({ ...late, escalation: 'remind' }, { type: 'escalate', day: '2026-11-25' })).toThrow('问题未到新的督办等级');
  });

  it('refuses empty measures, checkers and reasons', () => {
    expect(() => act(fresh('assigned'), { type: 'respond', day: DAY, measures: ' ' })).toThrow('反馈整改措施时必须写明措施');
    expect(() => act(fresh('pending_verification'), { type: 'verify', day: DAY, by: '' })).toThrow('核验签字必须写明核验人');
    expect(() => act(fresh('open'), { type: 'dismiss', day: DAY, reason: '' })).toThrow('撤销问题必须说明原因');
    expect(() => act(fresh('pending_verification'), { type: 'send_back', day: DAY, reason: ' ' })).toThrow('退回整改必须说明原因');
    expect(() => act(fresh('closed'), { type: 'reopen', day: DAY, reason: '' })).toThrow('重新打开问题必须说明原因');
    expect(() => decide(fresh('open'), 'unknown_category', { type: 'assign', day: DAY }, rules)).toThrow('问题类别“unknown_category”在配置 problems.deadlines 中没有整改期限');
  });
});

describe('sending a reply back', () => {
  it('returns the problem to the department with its deadline running on, and takes back the sign-off', () => {
    const signed = fresh('pending_verification', { assignedOn: '2026-09-21', deadline: '2026-09-28', signedOffBy: '王核验', escalation: 'remind' });
    const d = act(signed, { type: 'send_back', day: DAY, reason: '佐证材料不能证明已整改' });
    expect(d.status).toMatchObject({ state: 'assigned', signedOffBy: null, deadline: '2026-09-28', escalation: 'remind' });
    expect(d.event).toEqual({ type: 'problem_sent_back', payload: { from: 'pending_verification', to: 'assigned', day: DAY, reason: '佐证材料不能证明已整改' } });
  });
});
