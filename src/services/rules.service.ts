import { createHash } from 'node:crypto';
import type { RuleDefinition } from '../config/rules-schema';
import type { Db } from '../db/database';
import type { RuleVersionRow } from '../db/schema';
import { canonicalJson } from '../domain/canonical-json';
import { diffRules, RuleChange } from '../domain/rule-diff';
import { RuleVersionRepository } from '../repositories/rule-version.repository';
import { inTransaction } from '../db/transactions';
import { LedgerService } from './ledger.service';

export interface ApplyOptions {
  by: string;
  reason: string;
  /** The first day the new versions judge; earlier days keep the versions they were judged by. */
  effectiveFrom: string;
}

/** Rules are never edited in place: every change is a new, immutable version with who, why and from when. */
export class RulesService {
  constructor(private readonly db: Db) {}

  async plan(next: readonly RuleDefinition[]): Promise<RuleChange[]> {
    return diffRules(definitions(await new RuleVersionRepository(this.db).latest()), next);
  }

  /** Stores the changed rules as new versions and records each in the ledger, in one transaction. */
  async apply(next: readonly RuleDefinition[], opts: ApplyOptions): Promise<{ changes: RuleChange[]; stored: RuleVersionRow[] }> {
    return inTransaction(this.db, async (tx) => {
      const applied = await new RulesService(tx).stage(next, opts);
      const changeOf = new Map(applied.changes.map((c) => [c.id, c.kind]));
      await new LedgerService(tx).append(
        applied.stored.map((v) => ({
          type: 'rule_version_applied',
          actor: opts.by,
          ruleId: v.rule_id,
          payload: { version: v.version, change: changeOf.get(v.rule_id), digest: v.digest, reason: v.reason, effectiveFrom: v.effective_from },
        })),
        tx,
      );
      return applied;
    });
  }

  /**
   * Stores the versions without a ledger event: for what-if work in a transaction that is rolled back (a backtest).
   * Its events would vanish anyway, and appending would hold the ledger's lock for the whole backtest.
   */
  async stage(next: readonly RuleDefinition[], opts: ApplyOptions): Promise<{ changes: RuleChange[]; stored: RuleVersionRow[] }> {
    if (!opts.reason.trim()) throw new Error('应用规则变更必须说明原因（--reason）');
    return inTransaction(this.db, async (tx) => {
      const repo = new RuleVersionRepository(tx);
      await repo.lock();
      const latest = await repo.latest();
      const versionOf = new Map(latest.map((r) => [r.rule_id, r.version]));
      const changes = diffRules(definitions(latest), next);
      const stored = await repo.insert(
        changes.map((c) => {
          const definition = c.kind === 'retired' ? null : canonicalJson(c.next);
          return {
            rule_id: c.id,
            version: (versionOf.get(c.id) ?? 0) + 1,
            definition,
            digest: createHash('sha256').update(definition ?? 'retired').digest('hex'),
            created_by: opts.by,
            reason: opts.reason,
            effective_from: opts.effectiveFrom,
          };
        }),
      );
      return { changes, stored };
    });
  }

  async latest(): Promise<RuleVersionRow[]> {
    return new RuleVersionRepository(this.db).latest();
  }

  async inForceOn(day: string): Promise<RuleVersionRow[]> {
    return new RuleVersionRepository(this.db).inForceOn(day);
  }

  /** Versions stored that take effect after `day`. */
  async pendingAfter(day: string): Promise<RuleVersionRow[]> {
    return new RuleVersionRepository(this.db).pendingAfter(day);
  }

  async history(ruleId: string): Promise<RuleVersionRow[]> {
    return new RuleVersionRepository(this.db).history(ruleId);
  }
}

function definitions(rows: readonly RuleVersionRow[]): RuleDefinition[] {
  return rows.filter((r) => r.definition !== null).map((r) => r.definition as RuleDefinition);
}
