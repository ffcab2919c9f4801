import { describeFact, FactPart } from './anomaly-explanation';
import { ESCALATION_LABELS } from './problem-deadline';
import { hasRunningDeadline, STATE_LABELS } from './problem-state';
import type { Day } from './day';

/** The 台账 columns as the bureau keeps them (shared/domain.md). */
export const LEDGER_HEADERS = [
  '台账编号',
  '发现日期',
  '来源',
  '指标/问题',
  '单位',
  '责任单位',
  '交办函号及日期',
  '整改期限',
  '整改措施',
  '进展',
  '完成日期',
  '佐证材料',
  '核验人及结论',
  '销号日期',
  '状态',
];


export interface LedgerSheetInput {
  id: number;
  first_seen: string;
  kind: 'value' | 'missing';
  /** The names of the rules that fired on it. */
  rule_names: string[];
  indicator: string;
  /** What its rules found on its latest day. */
  facts: FactPart[] | null;
  unit: string;
  owner: string;
  assigned_on: string | null;
  /** The letter that assigned it; none when assigned by hand. */
  letter_no: string | null;
  deadline: string | null;
  measures: string | null;
  responded_on: string | null;
  evidence: string[] | null;
  signed_off_by: string | null;
  verify_note: string | null;
  data_confirmed: boolean;
  escalation: 'none' | 'remind' | 'supervise' | 'notify';
  closed_on: string | null;
  state: keyof typeof STATE_LABELS;
}

/** 待交办 / 整改中 / 待核验 / 已销号 / 已撤销, or for a live problem past its deadline 逾期, and once supervised 督办中. */
export function ledgerStatus(p: Pick<LedgerSheetInput, 'state' | 'deadline' | 'escalation'>, today: Day): string {
  const live = hasRunningDeadline(p.state);
  if (live && (p.escalation === 'supervise' || p.escalation === 'notify')) return '督办中';
  if (live && p.deadline !== null && p.deadline < today) return '逾期';
  return STATE_LABELS[p.state];
}

export function ledgerRow(p: LedgerSheetInput, today: Day): Array<string | number | null> {
  const progress = [
    p.data_confirmed ? '数据已确认恢复' : null,
    p.signed_off_by ? '已核验签字' : null,
    p.escalation !== 'none' ? `已${ESCALATION_LABELS[p.escalation]}` : null,
  ].filter((x) => x !== null);
  return [
    p.id,
    p.first_seen,
    `日常监测（${p.rule_names.join('、') || (p.kind === 'missing' ? '数据未报送' : '指标异常')}）`,
    p.facts?.length ? `${p.indicator}：${describeFact(p.facts)}` : p.indicator,
    p.unit,
    p.owner,
    p.letter_no && p.assigned_on ? `${p.letter_no}（${p.assigned_on}）` : p.assigned_on,
    p.deadline,
    p.measures,
    progress.join('；') || null,
    p.responded_on,
    p.evidence?.length ? p.evidence.join('；') : null,
    p.signed_off_by ? [p.signed_off_by, p.verify_note].filter(Boolean).join('：') : null,
    p.closed_on,
    ledgerStatus(p, today),
  ];
}
