import type { Day } from './day';
import { ESCALATION_LABELS, EscalationLevel } from './problem-deadline';
import { ProblemState, PROBLEM_STATES, ProblemStatus, STATE_LABELS, UNASSIGNED } from './problem-state';

/**
 * A problem as its ledger events tell it: the fields of the `problems` row that the 台账 shows, rebuilt by folding
 * the events in chain order. `decide` writes each event with the status it decides; this reads them back the same
 * way (a property test holds the two together), so a row changed behind the ledger's back disagrees with its replay.
 */
export type ReplayedProblem = Omit<ProblemStatus, 'letterId'> & {
  /** The letter that assigned it, by its number (what the ledger records); none when assigned by hand. */
  letterNo: string | null;
  mergedInto: number | null;
};

export type ReplayedField = keyof ReplayedProblem;

/** How an auditor reads each field. */
export const REPLAYED_FIELD_LABELS: Record<ReplayedField, string> = {
  state: '状态',
  dataConfirmed: '数据确认恢复',
  signedOffBy: '核验人',
  assignedOn: '交办日期',
  deadline: '整改期限',
  closedOn: '销号日期',
  escalation: '督办等级',
  reopenCount: '重新打开次数',
  letterNo: '交办函号',
  mergedInto: '并入问题',
};

/** An event as the replay reads it. */
export interface ProblemEventRecord {
  seq: string;
  type: string;
  problemId: number | null;
  payload: unknown;
}

/** An event that does not fit the story so far: the ledger contradicts itself. */
export interface ReplayContradiction {
  problemId: number;
  seq: string;
  message: string;
}

const { letterId: _letter, ...unassigned } = UNASSIGNED;
/** What `decide` makes of a problem just found or reopened, as the replay holds it. */
const UNASSIGNED_REPLAYED = { ...unassigned, letterNo: null, mergedInto: null } as const satisfies Omit<ReplayedProblem, 'reopenCount'>;

type Payload = Record<string, unknown> & { from?: ProblemState; to?: ProblemState; day?: Day };

/** Folds problem events, fed in chain order (page by page if need be); other events are passed over. */
export class ProblemReplay {
  readonly problems = new Map<number, ReplayedProblem>();
  readonly contradictions: ReplayContradiction[] = [];

  apply(e: ProblemEventRecord): void {
    if (!e.type.startsWith('problem_') || e.problemId === null) return;
    const id = e.problemId;
    const p = (e.payload ?? {}) as Payload;
    const current = this.problems.get(id);
    const contradiction = (message: string) => this.contradictions.push({ problemId: id, seq: e.seq, message });
    if (e.type === 'problem_opened') {
      if (current) contradiction('问题被重复发现（已有发现记录）');
      this.problems.set(id, { ...UNASSIGNED_REPLAYED, reopenCount: 0 });
      return;
    }
    if (!current) {
      contradiction('此前没有发现该问题的记录');
      return;
    }
    if (p.from !== undefined && p.from !== current.state) contradiction(`事件记载原状态为“${label(p.from)}”，按台账此时为“${label(current.state)}”`);
    const to = isState(p.to) ? p.to : current.state;
    const next = this.next(current, e.type, p, to, id);
    if (next) this.problems.set(id, next);
    else contradiction(`未知的问题事件 ${e.type}`);
  }

  private next(current: ReplayedProblem, type: string, p: Payload, to: ProblemState, id: number): ReplayedProblem | undefined {
    switch (type) {
      case 'problem_reopened':
        return { ...UNASSIGNED_REPLAYED, reopenCount: current.reopenCount + 1 };
      case 'problem_assigned':
        return {
          ...current,
          state: to,
          assignedOn: p.day ?? null,
          deadline: typeof p.deadline === 'string' ? p.deadline : null,
          escalation: 'none',
          letterNo: typeof p.letterNo === 'string' ? p.letterNo : null,
        };
      case 'problem_responded':
        return { ...current, state: to };
      case 'problem_data_confirmed':
        return { ...current, dataConfirmed: true, state: to };
      case 'problem_data_regressed':
        return { ...current, dataConfirmed: false, signedOffBy: null, state: to };
      case 'problem_verified':
        return { ...current, signedOffBy: typeof p.by === 'string' ? p.by : null, state: to };
      case 'problem_sent_back':
        return { ...current, signedOffBy: null, state: to };
      case 'problem_closed':
        return { ...current, state: to, closedOn: p.day ?? null };
      case 'problem_dismissed':
        return { ...current, state: to, closedOn: null };
      case 'problem_escalated':
        return { ...current, state: to, escalation: (p.level as EscalationLevel | undefined) ?? current.escalation };
      case 'problem_absorbed': {
        // The survivor takes the status of the first of the duplicates to be assigned (mergeDuplicates).
        const absorbed = Array.isArray(p.absorbed) ? (p.absorbed as number[]) : [];
        const base = typeof p.assignmentOf === 'number' ? this.problems.get(p.assignmentOf) ?? current : current;
        const reopenCount = Math.max(current.reopenCount, ...absorbed.map((a) => this.problems.get(a)?.reopenCount ?? 0));
        return { ...base, reopenCount, mergedInto: null, state: to };
      }
      case 'problem_merged':
        return { ...current, state: to, mergedInto: typeof p.into === 'number' ? p.into : id };
      default:
        return undefined;
    }
  }
}

function isState(s: unknown): s is ProblemState {
  return typeof s === 'string' && (PROBLEM_STATES as readonly string[]).includes(s);
}

function label(s: string): string {
  return isState(s) ? STATE_LABELS[s] : s;
}

/** Where a stored problem and its replay differ. */
export type ProblemDisagreement =
  | { problemId: number; kind: 'field'; field: ReplayedField; ledger: string; table: string }
  | { problemId: number; kind: 'no-events' }
  | { problemId: number; kind: 'no-row' };

/** Every difference between the replayed problems and the stored rows, by problem id and then field. */
export function compareWithRows(replayed: ReadonlyMap<number, ReplayedProblem>, rows: ReadonlyArray<{ id: number } & ReplayedProblem>): ProblemDisagreement[] {
  const out: ProblemDisagreement[] = [];
  const seen = new Set<number>();
  for (const row of rows) {
    seen.add(row.id);
    const r = replayed.get(row.id);
    if (!r) {
      out.push({ problemId: row.id, kind: 'no-events' });
      continue;
    }
    for (const field of Object.keys(REPLAYED_FIELD_LABELS) as ReplayedField[]) {
      const [ledger, table] = [show(field, r[field]), show(field, row[field])];
      if (ledger !== table) out.push({ problemId: row.id, kind: 'field', field, ledger, table });
    }
  }
  for (const id of replayed.keys()) if (!seen.has(id)) out.push({ problemId: id, kind: 'no-row' });
  return out.sort((a, b) => a.problemId - b.problemId);
}

function show(field: ReplayedField, v: unknown): string {
  if (v === null || v === undefined) return '（空）';
  if (field === 'state') return label(String(v));
  if (field === 'escalation') return ESCALATION_LABELS[v as EscalationLevel] || '未升级';
  if (typeof v === 'boolean') return v ? '是' : '否';
  return String(v);
}

/** The auditor's reading of a difference, in Chinese. */
export function describeDisagreement(d: ProblemDisagreement): string {
  switch (d.kind) {
    case 'field':
      return `问题 ${d.problemId} 的${REPLAYED_FIELD_LABELS[d.field]}：台账记载为“${d.ledger}”，问题表中为“${d.table}”`;
    case 'no-events':
      return `问题 ${d.problemId} 在问题表中存在，台账中却没有它的任何记录`;
    case 'no-row':
      return `问题 ${d.problemId} 在台账中有记录，问题表中却没有这一行`;
  }
}

export function describeContradiction(c: ReplayContradiction): string {
  return `问题 ${c.problemId} 第 ${c.seq} 号事件：${c.message}`;
}
