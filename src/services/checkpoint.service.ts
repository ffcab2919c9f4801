import type { KeyObject } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { DubanConfig } from '../config/load-config';
import { checkKeyPair } from '../config/signing-key';
import type { Db } from '../db/database';
import type { LedgerCheckpointRow } from '../db/schema';
import { checkpointMessage } from '../delivery/checkpoint-message';
import { dayIn } from '../domain/day';
import { GENESIS_HASH } from '../domain/ledger-chain';
import { checkpointLine, signCheckpoint, SignedCheckpoint } from '../domain/ledger-checkpoint';
import type { Logger } from '../logger';
import { CheckpointRepository } from '../repositories/checkpoint.repository';
import { LedgerRepository } from '../repositories/ledger.repository';
import { OutboxRepository } from '../repositories/outbox.repository';

/** The file each checkpoint is appended to, in the configured folder. */
export const CHECKPOINT_FILE = 'checkpoints.jsonl';

export interface MadeCheckpoint {
  checkpoint: SignedCheckpoint;
  line: string;
  /** False when the slot's checkpoint had been made before (a retried or doubled daily run): it was kept, not remade. */
  made: boolean;
  file: string;
  /** Auditors it was (or had been) queued to by mail. */
  mailedTo: string[];
}

export interface CheckpointDeps {
  db: Db;
  config: Pick<DubanConfig, 'audit' | 'bureau' | 'timezone' | 'delivery'>;
  logger: Logger;
  now: () => Date;
  /** Reads the private key from the environment; without one nothing can be signed. */
  signingKey: () => KeyObject | undefined;
}

/**
 * Makes signed checkpoints of the ledger's head and puts them out of the database's reach: appended to the checkpoint
 * file and queued by mail to the auditors. Each step is idempotent, so a run cut off anywhere and retried ends with
 * one checkpoint for its slot, once in the file and once in each mailbox.
 */
export class CheckpointService {
  constructor(private readonly deps: CheckpointDeps) {}

  async make(opts: { slot?: string; by: string }): Promise<MadeCheckpoint> {
    const { config, db } = this.deps;
    const cfg = config.audit.checkpoints;
    if (!cfg) throw new Error('未配置台账检查点：请在 duban.yaml 的 audit.checkpoints 中指定目录、公钥和审计人员邮箱');
    const signingKey = this.deps.signingKey();
    if (!signingKey) throw new Error('没有检查点签名私钥：请设置环境变量 DUBAN_CHECKPOINT_KEY 或 DUBAN_CHECKPOINT_KEY_FILE');
    checkKeyPair(signingKey, cfg.publicKey);
    const repo = new CheckpointRepository(db);
    const earlier = opts.slot ? await repo.bySlot(opts.slot) : undefined;
    const row = earlier ?? (await this.sign(opts, signingKey));
    const checkpoint = JSON.parse(row.line) as SignedCheckpoint;
    const file = appendOnce(path.join(cfg.dir, CHECKPOINT_FILE), row.line);
    const mailedTo = await this.mail(row, checkpoint);
    this.deps.logger.info({ events: checkpoint.events, day: checkpoint.day, made: !earlier }, 'ledger checkpoint');
    return { checkpoint, line: row.line, made: !earlier, file, mailedTo };
  }

  /** Those made on `from` to `to`, for the director's summary. */
  between(from: string, to: string): Promise<LedgerCheckpointRow[]> {
    return new CheckpointRepository(this.deps.db).between(from, to);
  }

  private async sign(opts: { slot?: string; by: string }, key: KeyObject): Promise<LedgerCheckpointRow> {
    const { db, config } = this.deps;
    // The committed head: an append in flight lands after it, and the checkpoint pins a prefix of the chain either way.
    const last = await new LedgerRepository(db).last();
    const at = this.deps.now();
    const checkpoint = signCheckpoint(
      { ledger: config.bureau.name, events: last?.seq ?? 0, head: last?.hash ?? GENESIS_HASH, day: dayIn(config.timezone, at), at: at.toISOString() },
      key,
    );
    const line = checkpointLine(checkpoint);
    const repo = new CheckpointRepository(db);
    const row = await repo.insert({
      slot: opts.slot ?? null,
      day: checkpoint.day,
      event_count: checkpoint.events,
      head_hash: checkpoint.head,
      key_id: checkpoint.key,
      made_at: at,
      made_by: opts.by,
      line,
    });
    // Another daemon made the slot's checkpoint meanwhile: theirs is the one.
    return row ?? (await repo.bySlot(opts.slot!))!;
  }

  private async mail(row: LedgerCheckpointRow, cp: SignedCheckpoint): Promise<string[]> {
    const { config } = this.deps;
    const recipients = config.audit.checkpoints?.recipients ?? [];
    if (recipients.length === 0) return [];
    const localTime = new Intl.DateTimeFormat('sv-SE', { timeZone: config.timezone, dateStyle: 'short', timeStyle: 'medium' }).format(new Date(cp.at));
    await new OutboxRepository(this.deps.db).insert([
      {
        kind: 'checkpoint',
        recipient_key: 'auditors',
        period: `cp${row.id}`,
        message_id: `<checkpoint-${row.id}-${cp.day}@${config.delivery.messageIdDomain}>`,
        to_addresses: recipients,
        ...checkpointMessage(cp, row.line, { bureau: config.bureau.name, localTime, timezone: config.timezone }),
      },
    ]);
    return recipients;
  }
}

/**
 * Appends a line unless the file already holds it, and makes it durable before returning: the file is the copy on
 * this machine that the database cannot reach, so it must survive a crash right after.
 */
function appendOnce(file: string, line: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const held = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (held.split('\n').includes(line)) return file;
  const fd = openSync(file, 'a', 0o644);
  try {
    // A line cut short by a crash is left as it was (verify names it) and the new one starts on a line of its own.
    writeSync(fd, `${held && !held.endsWith('\n') ? '\n' : ''}${line}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return file;
}
