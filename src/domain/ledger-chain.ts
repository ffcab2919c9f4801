import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** The `prev_hash` of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** What an event says, as stored: every field the hash covers. */
export interface LedgerContent {
  seq: string;
  type: string;
  actor: string;
  problemId: string | null;
  unitId: number | null;
  indicatorId: number | null;
  ruleId: string | null;
  payload: unknown;
  /** ISO 8601 with milliseconds, as `Date#toISOString` writes it. */
  recordedAt: string;
}

export interface ChainedEvent extends LedgerContent {
  prevHash: string;
  hash: string;
}

/** An event as its writer tells it: the chain adds its place (`seq`), the time and the hashes. */
export type UnchainedEvent = Omit<LedgerContent, 'seq' | 'recordedAt'>;

/**
 * Links events after the chain's last one (none for an empty ledger): each gets the next `seq`, the time, the
 * previous event's hash and its own. The payload is taken as JSON will give it back (no key order, no undefined
 * members), so the hash verifies against what is stored.
 */
export function chainEvents(last: { seq: string | number; hash: string } | undefined, events: readonly UnchainedEvent[], recordedAt: string): ChainedEvent[] {
  let prevHash = last?.hash ?? GENESIS_HASH;
  let seq = BigInt(last?.seq ?? 0);
  return events.map((e) => {
    seq++;
    const content: LedgerContent = { ...e, seq: String(seq), payload: JSON.parse(canonicalJson(e.payload)) as unknown, recordedAt };
    const hash = chainHash(prevHash, content);
    const chained = { ...content, prevHash, hash };
    prevHash = hash;
    return chained;
  });
}

/** SHA-256 over the previous event's hash and this event's canonical content. */
export function chainHash(prevHash: string, content: LedgerContent): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(content)).digest('hex');
}

export type ChainBreak =
  | { seq: string; reason: 'altered' }
  | { seq: string; reason: 'unlinked'; expectedPrevHash: string }
  | { seq: string; reason: 'gap'; expectedSeq: string };

/**
 * Walks events in `seq` order and returns where the chain first breaks: an event whose content no longer gives its
 * hash (altered), one that does not point at the hash before it (an event removed or inserted), or a missing `seq`.
 * Feed it events page by page through one `ChainVerifier`.
 */
export class ChainVerifier {
  private prevHash = GENESIS_HASH;
  private nextSeq = 1n;
  checked = 0;
  broken: ChainBreak | undefined;

  check(events: Iterable<ChainedEvent>): ChainBreak | undefined {
    for (const e of events) {
      if (this.broken) return this.broken;
      if (BigInt(e.seq) !== this.nextSeq) this.broken = { seq: e.seq, reason: 'gap', expectedSeq: String(this.nextSeq) };
      else if (e.prevHash !== this.prevHash) this.broken = { seq: e.seq, reason: 'unlinked', expectedPrevHash: this.prevHash };
      else if (chainHash(e.prevHash, contentOf(e)) !== e.hash) this.broken = { seq: e.seq, reason: 'altered' };
      else {
        this.checked++;
        this.prevHash = e.hash;
        this.nextSeq++;
      }
    }
    return this.broken;
  }
}

function contentOf(e: ChainedEvent): LedgerContent {
  const { prevHash: _prev, hash: _hash, ...content } = e;
  return content;
}

/** The auditor's reading of a break, in Chinese. */
export function describeBreak(b: ChainBreak): string {
  switch (b.reason) {
    case 'altered':
      return `第 ${b.seq} 号事件的内容与其哈希不符：该事件在写入后被修改`;
    case 'unlinked':
      return `第 ${b.seq} 号事件未指向前一事件的哈希：其前的事件被删除、替换或插入`;
    case 'gap':
      return `缺少第 ${b.expectedSeq} 号事件（下一条是第 ${b.seq} 号）：事件被删除`;
  }
}
