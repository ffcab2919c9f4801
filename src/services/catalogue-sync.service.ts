import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import type { ThresholdChange } from '../domain/indicator-thresholds';
import { WorkingCalendar } from '../domain/working-calendar';
import { CatalogueRepository } from '../repositories/catalogue.repository';
import { thresholdsFromConfig, ThresholdsService } from './thresholds.service';

export interface CatalogueSyncResult {
  unitsChanged: string[];
  unitsDeactivated: string[];
  indicatorsChanged: string[];
  indicatorsDeactivated: string[];
  /** Indicators given their first version of thresholds from the file. */
  thresholdsAdopted: string[];
  /** Where the file's thresholds differ from the newest versions: not applied (`duban thresholds apply` does). */
  thresholdsUnapplied: ThresholdChange[];
}

/**
 * Makes the database catalogue match the configuration. Nothing is deleted: history (observations, problems,
 * letters) refers to units and indicators that may since have left the config, so those are only deactivated.
 * Thresholds are not synced: an indicator new to the database takes the file's as its first version (judging from
 * the calendar's first day); afterwards only `duban thresholds apply` stores the file's, and a difference is reported.
 */
export async function syncCatalogue(db: Db, config: Pick<DubanConfig, 'units' | 'indicators' | 'calendar'>): Promise<CatalogueSyncResult> {
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
        formula: i.formula,
        source_system: i.source,
        source_department: i.sourceDepartment ?? null,
        header_aliases: i.headerAliases,
      })),
    );
    const indicatorsDeactivated = await repo.deactivateIndicatorsExcept(config.indicators.map((i) => i.code));
    const thresholds = new ThresholdsService(tx);
    const fromFile = thresholdsFromConfig(config.indicators);
    const thresholdsAdopted = await thresholds.adoptNew(fromFile, new WorkingCalendar(config.calendar).firstDay());
    return { unitsChanged, unitsDeactivated, indicatorsChanged, indicatorsDeactivated, thresholdsAdopted, thresholdsUnapplied: await thresholds.plan(fromFile) };
  });
}

/** The catalogue's use case: the database made to match the configuration's units and indicators. */
export class CatalogueService {
  constructor(private readonly deps: { db: Db; config: Pick<DubanConfig, 'units' | 'indicators' | 'calendar'> }) {}

  sync(): Promise<CatalogueSyncResult> {
    return syncCatalogue(this.deps.db, this.deps.config);
  }
}
