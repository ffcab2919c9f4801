import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { CatalogueRepository } from '../repositories/catalogue.repository';

export interface CatalogueSyncResult {
  unitsChanged: string[];
  unitsDeactivated: string[];
  indicatorsChanged: string[];
  indicatorsDeactivated: string[];
}

/**
 * Makes the database catalogue match the configuration. Nothing is deleted: history (observations, problems,
 * letters) refers to units and indicators that may since have left the config, so those are only deactivated.
 */
export async function syncCatalogue(db: Db, config: Pick<DubanConfig, 'units' | 'indicators'>): Promise<CatalogueSyncResult> {
  return db.transaction().execute(async (tx) => {
    const repo = new CatalogueRepository(tx);
    const unitsChanged: string[] = [];
    // In slices: one statement carries at most 65,535 parameters, and a province's catalogue can pass 10,000 units.
    for (let i = 0; i < config.units.length; i += 5000) {
      const slice = config.units.slice(i, i + 5000).map((u) => ({
        code: u.code,
        name: u.name,
        kind: u.kind,
        parent_code: u.parent ?? null,
        aliases: u.aliases,
        contacts: JSON.stringify(u.contacts),
      }));
      unitsChanged.push(...(await repo.upsertUnits(slice)));
    }
    const unitsDeactivated = await repo.deactivateUnitsExcept(config.units.map((u) => u.code));
    const indicatorsChanged = await repo.upsertIndicators(
      config.indicators.map((i) => ({
        code: i.code,
        name: i.name,
        unit: i.unit,
        kind: i.kind,
        direction: i.direction,
        formula: i.formula,
        alert_value: i.alert,
        benchmark_value: i.benchmark,
        weight: i.weight,
        source_system: i.source,
        source_department: i.sourceDepartment ?? null,
        scope: JSON.stringify(i.scope),
        header_aliases: i.headerAliases,
      })),
    );
    const indicatorsDeactivated = await repo.deactivateIndicatorsExcept(config.indicators.map((i) => i.code));
    return { unitsChanged, unitsDeactivated, indicatorsChanged, indicatorsDeactivated };
  });
}

/** The catalogue's use case: the database made to match the configuration's units and indicators. */
export class CatalogueService {
  constructor(private readonly deps: { db: Db; config: Pick<DubanConfig, 'units' | 'indicators'> }) {}

  sync(): Promise<CatalogueSyncResult> {
    return syncCatalogue(this.deps.db, this.deps.config);
  }
}
