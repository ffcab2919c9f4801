import type { IndicatorConfig } from '../config/schema';
import type { Db } from '../db/database';
import { inTransaction } from '../db/transactions';
import { diffThresholds, IndicatorThresholds, ThresholdChange } from '../domain/indicator-thresholds';
import { IndicatorVersion, IndicatorVersionRepository, thresholdsOf } from '../repositories/indicator-version.repository';
import { LedgerService } from './ledger.service';
import type { ApplyOptions } from './rules.service';

/** The thresholds the catalogue file gives each indicator. */
export function thresholdsFromConfig(indicators: readonly IndicatorConfig[]): IndicatorThresholds[] {
  return indicators.map((i) => ({
    code: i.code,
    name: i.name,
    thresholds: { kind: i.kind, direction: i.direction, alert: i.alert, benchmark: i.benchmark, weight: i.weight, scope: i.scope },
  }));
}

/**
 * Thresholds (预警值, 先进值 and every field a verdict reads) are never edited in place: like rules, every change is a
 * new version with who, why and from which day, and an event in the ledger. Editing indicators.yaml changes nothing
 * until `duban thresholds apply` stores it.
 */
export class ThresholdsService {
  constructor(private readonly db: Db) {}

  /** What storing `next` would change against the newest versions. */
  async plan(next: readonly IndicatorThresholds[]): Promise<ThresholdChange[]> {
    return diffThresholds(current(await new IndicatorVersionRepository(this.db).latest()), next);
  }

  /** Stores every change as a new version and records each in the ledger, in one transaction. */
  async apply(next: readonly IndicatorThresholds[], opts: ApplyOptions): Promise<{ changes: ThresholdChange[]; stored: IndicatorVersion[] }> {
    if (!opts.reason.trim()) throw new Error('应用阈值变更必须说明原因（--reason）');
    return this.store(next, opts, () => true);
  }

  /**
   * Gives each indicator that has no version yet (new in the catalogue, or a fresh database) its first, from the
   * catalogue file; the ones already versioned are left as they are. Called by the catalogue sync.
   */
  async adoptNew(next: readonly IndicatorThresholds[], effectiveFrom: string): Promise<string[]> {
    const opts = { by: 'duban', reason: '指标登记：按指标文件建立第 1 版阈值', effectiveFrom };
    return (await this.store(next, opts, (c) => c.change === 'added')).changes.map((c) => c.code);
  }

  private async store(
    next: readonly IndicatorThresholds[],
    opts: ApplyOptions,
    take: (c: ThresholdChange) => boolean,
  ): Promise<{ changes: ThresholdChange[]; stored: IndicatorVersion[] }> {
    return inTransaction(this.db, async (tx) => {
      const repo = new IndicatorVersionRepository(tx);
      await repo.lock();
      const latest = await repo.latest();
      const changes = diffThresholds(current(latest), next).filter(take);
      if (changes.length === 0) return { changes, stored: [] };
      const versionOf = new Map(latest.map((v) => [v.code, v.version]));
      const ids = await repo.indicatorIds(changes.map((c) => c.code));
      const unknown = changes.filter((c) => !ids.has(c.code)).map((c) => c.code);
      if (unknown.length > 0) throw new Error(`指标目录中没有 ${unknown.join('、')}：先同步指标目录（duban migrate 或任一写入命令）`);
      const stored = await repo.insert(
        changes.map((c) => ({
          indicator_id: ids.get(c.code)!,
          version: (versionOf.get(c.code) ?? 0) + 1,
          thresholds: c.next,
          created_by: opts.by,
          reason: opts.reason,
          effective_from: opts.effectiveFrom,
        })),
      );
      const changeOf = new Map(changes.map((c) => [ids.get(c.code)!, c]));
      await new LedgerService(tx).append(
        stored.map((v) => {
          const c = changeOf.get(v.indicator_id)!;
          return {
            type: 'threshold_version_applied' as const,
            actor: opts.by,
            indicatorId: v.indicator_id,
            payload: {
              indicator: c.code,
              name: c.name,
              version: v.version,
              change: c.change,
              fields: c.fields.map((f) => ({ field: f.field, from: f.from ?? null, to: f.to })),
              thresholds: c.next,
              reason: v.reason,
              effectiveFrom: v.effective_from,
            },
          };
        }),
        tx,
      );
      return { changes, stored: stored.map((v) => ({ ...v, code: changeOf.get(v.indicator_id)!.code, name: changeOf.get(v.indicator_id)!.name })) };
    });
  }

  async inForceOn(day: string): Promise<IndicatorVersion[]> {
    return new IndicatorVersionRepository(this.db).inForceOn(day);
  }

  /** Versions stored that take effect after `day`. */
  async pendingAfter(day: string): Promise<IndicatorVersion[]> {
    return new IndicatorVersionRepository(this.db).pendingAfter(day);
  }

  async history(code: string): Promise<IndicatorVersion[]> {
    const repo = new IndicatorVersionRepository(this.db);
    const id = (await repo.indicatorIds([code])).get(code);
    return id === undefined ? [] : repo.history(id);
  }
}

function current(latest: readonly IndicatorVersion[]): IndicatorThresholds[] {
  return latest.map((v) => ({ code: v.code, name: v.name, thresholds: thresholdsOf(v) }));
}
