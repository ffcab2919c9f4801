import type { SignedCheckpoint } from '../domain/ledger-checkpoint';
import { escapeHtml } from './render-message';

/**
 * The mail that puts a checkpoint in each auditor's mailbox, where no database role reaches. Not a template of the
 * bureau's: its last line is the checkpoint itself, which `duban audit verify --checkpoints` reads from the saved mail.
 */
export function checkpointMessage(cp: SignedCheckpoint, line: string, opts: { bureau: string; localTime: string; timezone: string }) {
  const subject = `【台账检查点】${cp.day} 台账共 ${cp.events} 条事件`;
  const facts = [
    `台账：${cp.ledger}`,
    `生成时间：${opts.localTime}（${opts.timezone}）`,
    `台账事件数：${cp.events}`,
    `末条事件哈希：${cp.head}`,
    `签名密钥：${cp.key}（Ed25519）`,
  ];
  const advice = [
    '本邮件由督办系统每日自动发出，请勿删除。它记录了此刻台账的全部内容（末条事件的哈希涵盖其前的每一条事件），',
    '并经本局密钥签名；数据库中任何角色都无法改动您邮箱中的这份记录。',
    '核对台账时，将本邮件另存为文本文件（或只保存最后一行），运行：',
    '  duban audit verify --checkpoints <保存的文件>',
    '若此后有事件被改写、删除或清空，核对会指出不再相符的检查点。',
  ];
  const text = [`${opts.bureau} 督办台账检查点`, '', ...facts, '', ...advice, '', '检查点：', line, ''].join('\n');
  const html = [
    `<p>${escapeHtml(opts.bureau)} 督办台账检查点</p>`,
    `<ul>${facts.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>`,
    `<p>${advice.map(escapeHtml).join('<br>')}</p>`,
    `<p>检查点：</p><pre>${escapeHtml(line)}</pre>`,
  ].join('\n');
  return { subject, text, html };
}
