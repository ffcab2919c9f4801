import type { KeyObject } from 'node:crypto';
import type pg from 'pg';
import type { Db } from '../db/database';
import { LedgerSheetInput, LedgerSheetView, ledgerTable } from '../domain/audit-sheets';
import type { LedgerFilter } from '../domain/ledger-filter';
import { ledgerStatusCondition } from '../domain/ledger-status';
import type { ExportTable } from '../export/table-export';
import { describeBreak, ChainVerifier } from '../domain/ledger-chain';
import { describeEvent } from '../domain/ledger-event-text';
import { CheckpointFinding, describeFinding, judgeCheckpoint, SignedCheckpoint } from '../domain/ledger-checkpoint';
import type { ValuesEvent } from '../domain/ledger-events';
import { compareWithRows, describeContradiction, describeDisagreement, ProblemDisagreement, ProblemReplay, ReplayContradiction, ReplayedProblem } from '../domain/problem-replay';
import { AuditEvent, AuditRepository, EventFilter, LedgerSheetFilter } from '../repositories/audit.repository';
import { ValuesDigestRepository } from '../repositories/values-digest.repository';
import { inClientTransaction } from '../db/client-session';
import { LedgerService, VerifyReport } from './ledger.service';

export interface AuditOptions {
  /** Checkpoints from the auditor's copies (the file, saved mail) and the public key that must have signed them. */
  checkpoints?: { items: SignedCheckpoint[]; publicKey: KeyObject };
  /** Recompute every ingest run's fingerprint against the ledger (default yes). */
  values?: boolean;
}

export interface CheckpointReport {
  total: number;
  findings: Array<{ checkpoint: SignedCheckpoint; finding: CheckpointFinding }>;
  /** The first (by events counted) that no longer matches, read for a person. */
  firstFailure?: string;
}

export type ValuesFinding =
  | { kind: 'changed'; runId: number; day: string; source: string; recorded: { values: number; digest: string }; now: { values: number; digest: string } }
  | { kind: 'unrecorded'; runId: number; day: string };

export interface AuditReport {
  chain: VerifyReport;
  checkpoints?: CheckpointReport;
  problems: { replayed: number; contradictions: ReplayContradiction[]; disagreements: ProblemDisagreement[] };
  values?: { runs: number; findings: ValuesFinding[] };
}

/** Whether every check held. */
export function auditHolds(r: AuditReport): boolean {
  return (
    !r.chain.broken &&
    (r.checkpoints?.firstFailure === undefined) &&
    r.problems.contradictions.length === 0 &&
    r.problems.disagreements.length === 0 &&
    (r.values?.findings.length ?? 0) === 0
  );
}

/** The auditor's reading of a values finding, in Chinese. */
export function describeValuesFinding(f: ValuesFinding): string {
  if (f.kind === 'unrecorded') return `第 ${f.runId} 次采集（${f.day}）的数值在台账中没有入库记录：记录被删除，或这些数值不是经采集写入的`;
  return `第 ${f.runId} 次采集（${f.day}，数据源 ${f.source}）的数值与台账记载不符：入库时 ${f.recorded.values} 个数值（指纹 ${f.recorded.digest.slice(0, 16)}…），现为 ${f.now.values} 个（指纹 ${f.now.digest.slice(0, 16)}…）：入库之后有数值被改动、增加或删除，台账中没有相应的入库记录`;
}

/**
 * What auditors ask of the 台账: the chain checked, and everything it can be checked against — signed checkpoints kept
 * outside the database, the problems table replayed from the events, each ingest run's values against their
 * fingerprints — the events filtered, the problems' rows, a problem's story.
 */
export class AuditService {
  constructor(private readonly deps: { db: Db; pool: pg.Pool; timezone: string }) {}

  /**
   * Every check (see `audit`), in one snapshot (REPEATABLE READ on one connection), so that a daemon appending
   * meanwhile cannot make a problem's row or a run's values look ahead of the ledger.
   */
  async verify(opts: AuditOptions = {}): Promise<AuditReport> {
    return inSnapshot(this.deps.pool, (client, tx) => audit(client, tx, opts));
  }

  /**
   * The 台账 rows (those `filter` leaves), only while the problems table agrees with the ledger's replay and the chain
   * holds — the whole ledger checked, whatever the filter — read in the snapshot that was checked: an export is what
   * auditors take away, so it is never made from rows the ledger does not bear out.
   */
  async ledgerSheet(filter: LedgerSheetFilter = {}): Promise<LedgerSheetInput[]> {
    return inSnapshot(this.deps.pool, async (client, tx) => {
      const report = await audit(client, tx, { values: false });
      const reasons = [
        ...(report.chain.broken ? [`哈希链断裂：${describeBreak(report.chain.broken)}`] : []),
        ...report.problems.contradictions.map(describeContradiction),
        ...report.problems.disagreements.map(describeDisagreement),
      ];
      if (reasons.length > 0) {
        const shown = reasons.slice(0, 5).join('；');
        throw new Error(`问题表与台账不一致，拒绝导出台账（共 ${reasons.length} 处）：${shown}${reasons.length > 5 ? '……' : ''}。请运行 duban audit verify 查看全部`);
      }
      return new AuditRepository(tx).ledgerSheet(filter);
    });
  }

  /** The 台账 as a table to write (CSV, XLSX, JSON): the rows `filter` leaves, as of `view.asOf`. */
  async ledgerExport(filter: LedgerFilter, view: LedgerSheetView): Promise<ExportTable> {
    const { status, ...rest } = filter;
    const rows = await this.ledgerSheet({ ...rest, ...(status ? { status: ledgerStatusCondition(status, view.calendar, view.asOf) } : {}) });
    return ledgerTable(rows, view);
  }

  events(filter: Omit<EventFilter, 'timezone'>): Promise<AuditEvent[]> {
    return new AuditRepository(this.deps.db).events({ ...filter, timezone: this.deps.timezone });
  }

  /** The events with each said as a sentence (src/domain/ledger-event-text.ts). */
  async describedEvents(filter: Omit<EventFilter, 'timezone'>): Promise<Array<AuditEvent & { description: string }>> {
    const repo = new AuditRepository(this.deps.db);
    const [events, units] = await Promise.all([repo.events({ ...filter, timezone: this.deps.timezone }), repo.unitNames()]);
    const names = { unit: (id: number) => units.get(id) };
    return events.map((e) => ({ ...e, description: describeEvent(e, names) }));
  }

  problemAnomalies(problemId: number) {
    return new AuditRepository(this.deps.db).problemAnomalies(problemId);
  }
}

/** One connection, one REPEATABLE READ snapshot: what a daemon commits meanwhile is not seen by any of the reads. */
function inSnapshot<T>(pool: pg.Pool, fn: (client: pg.PoolClient, tx: Db) => Promise<T>): Promise<T> {
  return inClientTransaction(pool, async (client, tx) => {
    await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    return fn(client, tx);
  });
}

/**
 * The checks, in the caller's snapshot: one pass over the ledger recomputes the chain, replays the problem events and
 * collects the hashes at checkpointed places and the values' fingerprints; then the problems table, the checkpoints
 * and the values are compared with them.
 */
async function audit(client: pg.PoolClient, tx: Db, opts: AuditOptions): Promise<AuditReport> {
  const verifier = new ChainVerifier();
  const replay = new ProblemReplay();
  const wanted = new Set(opts.checkpoints?.items.map((c) => c.events) ?? []);
  const hashes = new Map<number, string>();
  const recorded = new Map<number, ValuesEvent['payload']>();
  let length = 0;
  for await (const page of new LedgerService(tx).pages()) {
    verifier.check(page);
    for (const e of page) {
      const seq = Number(e.seq);
      length = Math.max(length, seq);
      if (wanted.has(seq)) hashes.set(seq, e.hash);
      if (e.type === 'values_recorded') {
        const p = e.payload as ValuesEvent['payload'];
        recorded.set(p.runId, p);
      }
      replay.apply({ seq: e.seq, type: e.type, problemId: e.problemId === null ? null : Number(e.problemId), payload: e.payload });
    }
  }
  return {
    chain: { checked: verifier.checked, ...(verifier.broken ? { broken: verifier.broken } : {}) },
    ...(opts.checkpoints ? { checkpoints: judgeCheckpoints(opts.checkpoints.items, opts.checkpoints.publicKey, length, hashes) } : {}),
    problems: { replayed: replay.problems.size, contradictions: replay.contradictions, disagreements: await compareProblems(tx, replay.problems) },
    ...(opts.values === false ? {} : { values: await checkValues(new ValuesDigestRepository(client), recorded) }),
  };
}

async function compareProblems(tx: Db, replayed: ReadonlyMap<number, ReplayedProblem>): Promise<ProblemDisagreement[]> {
  const repo = new AuditRepository(tx);
  const rows: Array<{ id: number } & ReplayedProblem> = [];
  for (let after = 0; ; ) {
    const page = await repo.problemStatuses(after, 10_000);
    rows.push(...page);
    if (page.length < 10_000) break;
    after = page[page.length - 1]!.id;
  }
  return compareWithRows(replayed, rows);
}

async function checkValues(repo: ValuesDigestRepository, recorded: ReadonlyMap<number, ValuesEvent['payload']>): Promise<{ runs: number; findings: ValuesFinding[] }> {
  const findings: ValuesFinding[] = [];
  const runs = new Map<number, string>();
  // Values held under a run the ledger does not record, or on a day other than the one it records for the run.
  for (const r of await repo.runsWithValues()) {
    runs.set(r.runId, r.day);
    if (recorded.get(r.runId)?.day !== r.day) findings.push({ kind: 'unrecorded', runId: r.runId, day: r.day });
  }
  for (const [runId, p] of recorded) {
    const now = await repo.ofRun({ runId, day: p.day });
    if (now.values !== p.values || now.digest !== p.digest) {
      findings.push({ kind: 'changed', runId, day: p.day, source: p.source, recorded: { values: p.values, digest: p.digest }, now });
    }
    runs.set(runId, p.day);
  }
  return { runs: runs.size, findings: findings.sort((a, b) => a.runId - b.runId) };
}

function judgeCheckpoints(items: SignedCheckpoint[], publicKey: KeyObject, length: number, hashes: ReadonlyMap<number, string>): CheckpointReport {
  const sorted = [...items].sort((a, b) => a.events - b.events || a.at.localeCompare(b.at));
  const findings = sorted.map((checkpoint) => ({ checkpoint, finding: judgeCheckpoint(checkpoint, publicKey, length, (seq) => hashes.get(seq)) }));
  let lastHolding = 0;
  for (const { checkpoint, finding } of findings) {
    if (finding.kind === 'holds') {
      lastHolding = checkpoint.events;
      continue;
    }
    return { total: items.length, findings, firstFailure: describeFinding(checkpoint, finding, lastHolding) };
  }
  return { total: items.length, findings };
}
