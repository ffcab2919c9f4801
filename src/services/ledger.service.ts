import type { Db } from '../db/database';
import type { LedgerEventRow } from '../db/schema';
import { inTransaction } from '../db/transactions';
import { canonicalJson } from '../domain/canonical-json';
import { ChainBreak, ChainedEvent, chainEvents, ChainVerifier } from '../domain/ledger-chain';
import type { LedgerEvent } from '../domain/ledger-events';
import { LedgerRepository } from '../repositories/ledger.repository';

/**
 * One thing that happened, as the caller tells it: one of the ledger's kinds of event, who did it and what it is
 * about; the ledger adds its place in the chain, the time and the hashes.
 */
export type LedgerEntry = LedgerEvent & {
  actor: string;
  problemId?: string | null;
  unitId?: number | null;
  indicatorId?: number | null;
  ruleId?: string | null;
};

export interface VerifyReport {
  checked: number;
  broken?: ChainBreak;
}

/** The 台账: every problem event, rule version and delivery, append-only and hash-chained. */
export class LedgerService {
  constructor(private readonly db: Db) {}

  /**
   * Appends within the caller's transaction when there is one, so an event is in the ledger exactly when the change
   * it records is committed.
   */
  async append(entries: LedgerEntry[], within?: Db): Promise<ChainedEvent[]> {
    if (entries.length === 0) return [];
    return inTransaction(within ?? this.db, (tx) => appendInOpenTransaction(tx, entries));
  }

  /** Recomputes the whole chain, a page at a time, and names the first event that breaks it. */
  async verify(pageSize = 5000): Promise<VerifyReport> {
    const verifier = new ChainVerifier();
    for await (const page of this.pages(pageSize)) if (verifier.check(page)) break;
    return { checked: verifier.checked, ...(verifier.broken ? { broken: verifier.broken } : {}) };
  }

  /** Every event in chain order, `pageSize` at a time (keyset paging: the ledger only grows). */
  async *pages(pageSize = 5000): AsyncGenerator<ChainedEvent[]> {
    const repo = new LedgerRepository(this.db);
    let after = 0;
    for (;;) {
      const page = await repo.page(after, pageSize);
      if (page.length === 0) return;
      yield page.map(fromRow);
      after = page[page.length - 1]!.seq;
    }
  }
}

/**
 * Appends on a connection whose transaction the caller holds open and Kysely does not know as one (an ingest run's
 * client session, where a nested BEGIN would commit early); the lock is held until that transaction ends.
 */
export async function appendInOpenTransaction(tx: Db, entries: LedgerEntry[]): Promise<ChainedEvent[]> {
  const repo = new LedgerRepository(tx);
  await repo.lock();
  const chained = chainEvents(
    await repo.last(),
    entries.map((e) => ({
      type: e.type,
      actor: e.actor,
      problemId: e.problemId ?? null,
      unitId: e.unitId ?? null,
      indicatorId: e.indicatorId ?? null,
      ruleId: e.ruleId ?? null,
      payload: e.payload,
    })),
    new Date().toISOString(),
  );
  await repo.insert(
    chained.map((e) => ({
      seq: e.seq,
      type: e.type,
      actor: e.actor,
      problem_id: e.problemId,
      unit_id: e.unitId,
      indicator_id: e.indicatorId,
      rule_id: e.ruleId,
      payload: canonicalJson(e.payload),
      recorded_at: e.recordedAt,
      prev_hash: e.prevHash,
      hash: e.hash,
    })),
  );
  return chained;
}

function fromRow(r: LedgerEventRow): ChainedEvent {
  return {
    seq: String(r.seq),
    type: r.type,
    actor: r.actor,
    problemId: r.problem_id === null ? null : String(r.problem_id),
    unitId: r.unit_id,
    indicatorId: r.indicator_id,
    ruleId: r.rule_id,
    payload: r.payload,
    recordedAt: r.recorded_at.toISOString(),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
