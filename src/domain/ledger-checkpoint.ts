import { createHash, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import type { Day } from './day';
import { GENESIS_HASH } from './ledger-chain';

/**
 * A checkpoint: the ledger's head (how many events, the last one's hash) signed with the bureau's Ed25519 key at a
 * moment, and kept where no database role reaches (a file, the auditors' mailboxes). Since each event's hash covers
 * every one before it, a checkpoint pins the whole chain up to its head: an administrator who rewrites an event and
 * recomputes every later hash, deletes events at the end or empties the table leaves a chain that no longer has the
 * checkpointed hash at the checkpointed place. What it cannot pin is what was appended after the latest checkpoint.
 */
export interface CheckpointBody {
  /** The format. */
  v: 1;
  /** Whose ledger (the bureau), so that an auditor holding several can tell them apart. */
  ledger: string;
  /** Events in the ledger, which is the `seq` of its last one. */
  events: number;
  /** The last event's hash; the genesis hash for an empty ledger. */
  head: string;
  day: Day;
  /** When it was made, ISO 8601. */
  at: string;
  /** Which key signed it (keyIdOf). */
  key: string;
}

export interface SignedCheckpoint extends CheckpointBody {
  /** Ed25519 over the body's canonical JSON, base64. */
  signature: string;
}

/** A short, stable name for a public key: the first 16 hex digits of the SHA-256 of its DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export function signCheckpoint(body: Omit<CheckpointBody, 'v' | 'key'>, privateKey: KeyObject): SignedCheckpoint {
  // The public half is derived from the private key, so the key id cannot name another key.
  const full: CheckpointBody = { v: 1, ...body, key: keyIdOf(createPublicKey(privateKey)) };
  return { ...full, signature: sign(null, Buffer.from(canonicalJson(full)), privateKey).toString('base64') };
}

/** The line written to the checkpoint file and the mail: canonical JSON, so the same checkpoint is always the same text. */
export function checkpointLine(cp: SignedCheckpoint): string {
  return canonicalJson(cp);
}

export function signatureHolds(cp: SignedCheckpoint, publicKey: KeyObject): boolean {
  const { signature, ...body } = cp;
  try {
    return verify(null, Buffer.from(canonicalJson(body)), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export interface ParsedCheckpoints {
  checkpoints: Array<{ line: number; checkpoint: SignedCheckpoint }>;
  /** Lines that are not checkpoints (a saved mail's other text), by line number; nothing is passed over silently. */
  skipped: number[];
  /** Lines that start like a checkpoint but are not a whole, well-formed one (cut short, edited), by line number. */
  unreadable: number[];
}

/**
 * Reads checkpoints from text: the checkpoint file (one JSON line each) or a mail saved with its body, whose other
 * lines are skipped. Every line is accounted for: a checkpoint, skipped text, or unreadable.
 */
export function parseCheckpoints(text: string): ParsedCheckpoints {
  const out: ParsedCheckpoints = { checkpoints: [], skipped: [], unreadable: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    if (!line.startsWith('{')) {
      out.skipped.push(i + 1);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (isCheckpoint(parsed)) out.checkpoints.push({ line: i + 1, checkpoint: parsed });
    else out.unreadable.push(i + 1);
  });
  return out;
}

function isCheckpoint(x: unknown): x is SignedCheckpoint {
  const c = x as Record<string, unknown>;
  return (
    typeof c === 'object' &&
    c !== null &&
    c.v === 1 &&
    typeof c.ledger === 'string' &&
    Number.isSafeInteger(c.events) &&
    (c.events as number) >= 0 &&
    typeof c.head === 'string' &&
    typeof c.day === 'string' &&
    typeof c.at === 'string' &&
    typeof c.key === 'string' &&
    typeof c.signature === 'string'
  );
}

/** What a checkpoint says of the ledger as it stands. */
export type CheckpointFinding =
  | { kind: 'holds' }
  | { kind: 'bad-signature' }
  | { kind: 'other-key'; key: string }
  /** The ledger has fewer events than the checkpoint counted: events were deleted from its end (or all of them). */
  | { kind: 'truncated'; now: number }
  /** The event at the checkpointed place has another hash: it or one before it was rewritten and the chain rehashed. */
  | { kind: 'rewritten'; hashNow: string };

/**
 * Judges checkpoints against the ledger: `length` events now, and `hashAt` giving the hash of the event at a place
 * (the chain itself having been verified, so that hash stands for everything before it). Signature and key first:
 * a checkpoint that is not the bureau's proves nothing either way.
 */
export function judgeCheckpoint(cp: SignedCheckpoint, publicKey: KeyObject, length: number, hashAt: (seq: number) => string | undefined): CheckpointFinding {
  if (cp.key !== keyIdOf(publicKey)) return { kind: 'other-key', key: cp.key };
  if (!signatureHolds(cp, publicKey)) return { kind: 'bad-signature' };
  if (cp.events > length) return { kind: 'truncated', now: length };
  const hashNow = cp.events === 0 ? GENESIS_HASH : hashAt(cp.events);
  if (hashNow !== cp.head) return { kind: 'rewritten', hashNow: hashNow ?? '（无）' };
  return { kind: 'holds' };
}

/** How a person names a checkpoint: its day, its exact instant (UTC, as signed) and what it counted. */
export function checkpointName(cp: SignedCheckpoint): string {
  return `${cp.day} 的检查点（${cp.at}，记载 ${cp.events} 条事件）`;
}

/**
 * The auditor's reading of the first checkpoint that no longer matches, with the range the change must lie in: after
 * the last checkpoint before it that still holds (`lastHolding` events), up to its own head.
 */
export function describeFinding(cp: SignedCheckpoint, finding: CheckpointFinding, lastHolding: number): string {
  const name = checkpointName(cp);
  switch (finding.kind) {
    case 'holds':
      return `${name}与台账一致`;
    case 'bad-signature':
      return `${name}签名无效：它不是用本局密钥签发的原件，或已被改动`;
    case 'other-key':
      return `${name}由另一把密钥（${finding.key}）签发，不能用来核对本台账`;
    case 'truncated':
      return finding.now === 0
        ? `${name}不再相符：台账现有 0 条事件，全部 ${cp.events} 条事件被删除或清空`
        : `${name}不再相符：台账现只有 ${finding.now} 条事件，${finding.now + 1 === cp.events ? `第 ${cp.events} 号事件` : `第 ${finding.now + 1} 至第 ${cp.events} 号事件`}被删除`;
    case 'rewritten':
      return `${name}不再相符：第 ${cp.events} 号事件的哈希应为 ${cp.head.slice(0, 16)}…，现为 ${finding.hashNow.slice(0, 16)}…；第 ${lastHolding + 1} 至第 ${cp.events} 号事件之间有事件被改写、删除或插入，并重算了其后的哈希`;
  }
}
