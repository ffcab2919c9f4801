import { checkpointName } from '../domain/ledger-checkpoint';
import { describeBreak } from '../domain/ledger-chain';
import { describeContradiction, describeDisagreement } from '../domain/problem-replay';
import { AuditReport, describeValuesFinding } from './audit.service';
import type { CheckpointCopies } from './checkpoint-copies';

/** How many problems of a list a report prints before summing up the rest. */
const SHOWN = 50;

/** The report of `audit verify`, one section per check, and the verdict. */
export function describeAudit(r: AuditReport, sources?: CheckpointCopies['sources']): string[] {
  const out: string[] = [];
  let faults = 0;
  const list = (items: string[]) => {
    faults += items.length;
    out.push(...items.slice(0, SHOWN).map((i) => `  ${i}`));
    if (items.length > SHOWN) out.push(`  ……另有 ${items.length - SHOWN} 处`);
  };
  if (r.chain.broken) {
    faults++;
    out.push(`哈希链：台账被篡改：${describeBreak(r.chain.broken)}。此前 ${r.chain.checked} 条事件核验一致。`);
  } else {
    out.push(`哈希链：台账完整：${r.chain.checked} 条事件，哈希链逐条核验一致。`);
  }
  if (!r.checkpoints) {
    out.push('检查点：未核对（没有检查点文件；用 --checkpoints 指定审计人员保存的副本）。');
  } else {
    const latest = r.checkpoints.findings.at(-1)?.checkpoint;
    if (r.checkpoints.firstFailure) {
      const failing = r.checkpoints.findings.filter((f) => f.finding.kind !== 'holds').length;
      faults++;
      out.push(`检查点：${r.checkpoints.total} 个中有 ${failing} 个与台账不再相符。第一个：${r.checkpoints.firstFailure}。`);
    } else if (latest) {
      out.push(`检查点：${r.checkpoints.total} 个，签名有效，均与台账一致；最近一个是${checkpointName(latest)}。`);
    } else {
      out.push('检查点：所给文件中没有检查点。');
    }
    // A mailbox holds a checkpoint a mail and much else: mails are counted, files and anything unreadable listed.
    const all = sources ?? [];
    const mails = all.filter((s) => /\.eml$/i.test(s.file) && s.unreadable.length === 0);
    for (const s of all.filter((x) => !mails.includes(x))) {
      const extra = [s.skipped ? `跳过非检查点文字 ${s.skipped} 行` : '', s.unreadable.length ? `第 ${s.unreadable.join('、')} 行无法读取（不是完整的检查点）` : ''].filter(Boolean);
      out.push(`  读取 ${s.file}：检查点 ${s.checkpoints} 个${extra.length ? `，${extra.join('，')}` : ''}`);
    }
    const withCheckpoints = mails.filter((m) => m.checkpoints > 0);
    if (mails.length > 0) {
      out.push(`  读取邮件 ${mails.length} 封：${withCheckpoints.length} 封含检查点，共 ${withCheckpoints.reduce((n, m) => n + m.checkpoints, 0)} 个`);
    }
  }
  const problemFaults = [
    ...r.problems.contradictions.map(describeContradiction),
    ...r.problems.disagreements.map(describeDisagreement),
  ];
  if (problemFaults.length === 0) out.push(`问题表：按台账事件重演 ${r.problems.replayed} 个问题，与问题表逐项一致。`);
  else {
    out.push(`问题表：与台账不一致 ${problemFaults.length} 处：`);
    list(problemFaults);
  }
  if (!r.values) out.push('采集数值：未核对（--no-values）。');
  else if (r.values.findings.length === 0) out.push(`采集数值：${r.values.runs} 次采集的数值与台账记载的指纹一致。`);
  else {
    out.push(`采集数值：${r.values.findings.length} 次采集与台账不符：`);
    list(r.values.findings.map(describeValuesFinding));
  }
  out.push(faults === 0 ? '结论：台账可信。' : `结论：发现 ${faults} 处不一致，台账不可信。`);
  return out;
}
