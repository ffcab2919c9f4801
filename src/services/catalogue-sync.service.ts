import { sql } from 'kysely';
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
    const { unitsChanged, unitsDeactivated } = await syncUnits(tx, config.units);
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

/**
 * The units in one statement, whatever their number. The catalogue goes as one JSON parameter, read as rows by
 * jsonb_to_recordset; the units that are new or differ from their row are inserted, or updated and reactivated, and
 * the active units the file no longer has are deactivated. (Before, ten slices of 5,000 rows of parameters, to stay
 * under 65,535 parameters a statement, each through ON CONFLICT, which locks every row it compares: 1.4 s at 50,000
 * units, 1.1 s when nothing had changed; now 1.0 s and 0.6 s, docs/benchmarks.md#catalogue.) The codes come back in
 * the file's order; those deactivated, by code.
 */
async function syncUnits(tx: Db, units: DubanConfig['units']): Promise<{ unitsChanged: string[]; unitsDeactivated: string[] }> {
  const rows = JSON.stringify(
    units.map((u) => ({ code: u.code, name: u.name, kind: u.kind, parent_code: u.parent ?? null, aliases: u.aliases, contacts: u.contacts })),
  );
  // The rows are held once for both uses below: at the default work_mem 50,000 of them go to a temporary file.
  await sql`SET LOCAL work_mem = '64MB'`.execute(tx);
  const result = await sql<{ code: string; deactivated: boolean }>`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${rows}::jsonb)
        AS t(code text, name text, kind text, parent_code text, aliases text[], contacts jsonb)
    ), changed AS (
      INSERT INTO units AS u (code, name, kind, parent_code, aliases, contacts)
      SELECT i.code, i.name, i.kind, i.parent_code, i.aliases, i.contacts
      FROM input i LEFT JOIN units o ON o.code = i.code
      -- Only what is new or differs reaches ON CONFLICT, which locks every row it compares.
      WHERE o.code IS NULL
         OR (o.name, o.kind, o.parent_code, o.aliases, o.contacts, o.active)
            IS DISTINCT FROM (i.name, i.kind, i.parent_code, i.aliases, i.contacts, true)
      ON CONFLICT (code) DO UPDATE SET
        name = excluded.name, kind = excluded.kind, parent_code = excluded.parent_code, aliases = excluded.aliases,
        contacts = excluded.contacts, active = true, updated_at = now()
      WHERE (u.name, u.kind, u.parent_code, u.aliases, u.contacts, u.active)
        IS DISTINCT FROM (excluded.name, excluded.kind, excluded.parent_code, excluded.aliases, excluded.contacts, true)
      RETURNING u.code
    ), deactivated AS (
      -- Rows the file does not name: disjoint from those the insert touches, so the two may run in one statement.
      UPDATE units SET active = false, updated_at = now()
      WHERE active AND NOT EXISTS (SELECT 1 FROM input WHERE input.code = units.code)
      RETURNING units.code
    )
    SELECT code, false AS deactivated FROM changed
    UNION ALL
    SELECT code, true FROM deactivated`.execute(tx);
  const order = new Map(units.map((u, i) => [u.code, i]));
  const unitsChanged = result.rows.filter((r) => !r.deactivated).map((r) => r.code);
  unitsChanged.sort((a, b) => order.get(a)! - order.get(b)!);
  const unitsDeactivated = result.rows.filter((r) => r.deactivated).map((r) => r.code).sort();
  return { unitsChanged, unitsDeactivated };
}

/** The catalogue's use case: the database made to match the configuration's units and indicators. */
export class CatalogueService {
  constructor(private readonly deps: { db: Db; config: Pick<DubanConfig, 'units' | 'indicators' | 'calendar'> }) {}

  sync(): Promise<CatalogueSyncResult> {
    return syncCatalogue(this.deps.db, this.deps.config);
  }
}
