import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { parseCheckpoints, SignedCheckpoint } from '../domain/ledger-checkpoint';
import { CHECKPOINT_FILE } from './checkpoint.service';

export interface CheckpointCopies {
  /** Every distinct checkpoint found (the same one in the file and in a mail counts once). */
  items: SignedCheckpoint[];
  /** Each file read, with what it held. */
  sources: Array<{ file: string; checkpoints: number; skipped: number; unreadable: number[] }>;
}

/**
 * Reads the auditors' copies of checkpoints: checkpoint files (one JSON line each), mails saved as .eml (their text
 * is decoded first: a mail body travels encoded) or as text, or folders of them.
 */
export async function readCheckpointCopies(paths: string[]): Promise<CheckpointCopies> {
  const files = paths.flatMap((p) => {
    let stat;
    try {
      stat = statSync(p);
    } catch {
      throw new Error(`检查点文件不存在：${p}`);
    }
    if (!stat.isDirectory()) return [p];
    return readdirSync(p)
      .filter((f) => /\.(jsonl|eml|txt)$/i.test(f))
      .sort()
      .map((f) => path.join(p, f));
  });
  const sources: CheckpointCopies['sources'] = [];
  const items = new Map<string, SignedCheckpoint>();
  for (const file of files) {
    const raw = readFileSync(file);
    const text = /\.eml$/i.test(file) ? ((await simpleParser(raw)).text ?? '') : raw.toString('utf8');
    const parsed = parseCheckpoints(text);
    sources.push({ file, checkpoints: parsed.checkpoints.length, skipped: parsed.skipped.length, unreadable: parsed.unreadable });
    for (const { checkpoint } of parsed.checkpoints) items.set(checkpoint.signature, checkpoint);
  }
  return { items: [...items.values()], sources };
}

/**
 * The checkpoints `audit verify` checks: the copies named (`paths`), or else the configured checkpoint file; none when
 * neither is there. The public key given, or else the configured one.
 */
export async function checkpointsToCheck(
  configured: { dir: string; publicKey: KeyObject } | undefined,
  given: { paths?: string[]; publicKey?: KeyObject } = {},
): Promise<(CheckpointCopies & { publicKey: KeyObject }) | undefined> {
  const file = configured && path.join(configured.dir, CHECKPOINT_FILE);
  const paths = given.paths ?? (file && existsSync(file) ? [file] : []);
  if (paths.length === 0) return undefined;
  const publicKey = given.publicKey ?? configured?.publicKey;
  if (!publicKey) throw new Error('核验检查点需要公钥：请用 --public-key 指定，或在 duban.yaml 的 audit.checkpoints.publicKey 中配置');
  return { ...(await readCheckpointCopies(paths)), publicKey };
}
