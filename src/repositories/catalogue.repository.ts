import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { IndicatorRow, IndicatorsTable, UnitRow, UnitsTable } from '../db/schema';
import type { Insertable } from 'kysely';

export type UnitUpsert = Omit<Insertable<UnitsTable>, 'id' | 'active' | 'created_at' | 'updated_at'>;
export type IndicatorUpsert = Omit<Insertable<IndicatorsTable>, 'id' | 'active' | 'created_at' | 'updated_at'>;

export class CatalogueRepository {
  constructor(private readonly db: Db) {}

  /** Inserts or updates by code and (re)activates; returns the codes whose row actually changed. */
  async upsertUnits(units: UnitUpsert[]): Promise<string[]> {
    if (units.length === 0) return [];
    const rows = await this.db
      .insertInto('units')
      .values(units)
      .onConflict((oc) =>
        oc
          .column('code')
          .doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            kind: eb.ref('excluded.kind'),
            parent_code: eb.ref('excluded.parent_code'),
            aliases: eb.ref('excluded.aliases'),
            contacts: eb.ref('excluded.contacts'),
            active: true,
            updated_at: sql`now()`,
          }))
          .where(sql<boolean>`(units.name, units.kind, units.parent_code, units.aliases, units.contacts, units.active)
            IS DISTINCT FROM (excluded.name, excluded.kind, excluded.parent_code, excluded.aliases, excluded.contacts, true)`),
      )
      .returning('code')
      .execute();
    return rows.map((r) => r.code);
  }

  /** Units dropped from config are kept (observations and letters refer to them) but no longer active. Codes go as
   * one array parameter, since a catalogue may hold more units than one statement can carry parameters. */
  async deactivateUnitsExcept(codes: string[]): Promise<string[]> {
    const rows = await this.db
      .updateTable('units')
      .set({ active: false, updated_at: sql`now()` })
      .where('active', '=', true)
      .where(sql<boolean>`code <> ALL(${codes}::text[])`)
      .returning('code')
      .execute();
    return rows.map((r) => r.code);
  }

  async upsertIndicators(indicators: IndicatorUpsert[]): Promise<string[]> {
    if (indicators.length === 0) return [];
    const rows = await this.db
      .insertInto('indicators')
      .values(indicators)
      .onConflict((oc) =>
        oc
          .column('code')
          .doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            unit: eb.ref('excluded.unit'),
            kind: eb.ref('excluded.kind'),
            direction: eb.ref('excluded.direction'),
            formula: eb.ref('excluded.formula'),
            alert_value: eb.ref('excluded.alert_value'),
            benchmark_value: eb.ref('excluded.benchmark_value'),
            weight: eb.ref('excluded.weight'),
            source_system: eb.ref('excluded.source_system'),
            source_department: eb.ref('excluded.source_department'),
            scope: eb.ref('excluded.scope'),
            header_aliases: eb.ref('excluded.header_aliases'),
            active: true,
            updated_at: sql`now()`,
          }))
          .where(sql<boolean>`(indicators.name, indicators.unit, indicators.kind, indicators.direction, indicators.formula,
              indicators.alert_value, indicators.benchmark_value, indicators.weight, indicators.source_system,
              indicators.source_department, indicators.scope, indicators.header_aliases, indicators.active)
            IS DISTINCT FROM (excluded.name, excluded.unit, excluded.kind, excluded.direction, excluded.formula,
              excluded.alert_value, excluded.benchmark_value, excluded.weight, excluded.source_system,
              excluded.source_department, excluded.scope, excluded.header_aliases, true)`),
      )
      .returning('code')
      .execute();
    return rows.map((r) => r.code);
  }

  async deactivateIndicatorsExcept(codes: string[]): Promise<string[]> {
    const rows = await this.db
      .updateTable('indicators')
      .set({ active: false, updated_at: sql`now()` })
      .where('active', '=', true)
      .where(sql<boolean>`code <> ALL(${codes}::text[])`)
      .returning('code')
      .execute();
    return rows.map((r) => r.code);
  }

  /** Only what ingest resolves labels with: a big catalogue would spend its load time on contacts it never reads. */
  async activeUnitLabels(): Promise<Array<Pick<UnitRow, 'id' | 'code' | 'name' | 'kind' | 'aliases'>>> {
    return this.db.selectFrom('units').select(['id', 'code', 'name', 'kind', 'aliases']).where('active', '=', true).orderBy('id').execute();
  }

  async activeIndicators(): Promise<IndicatorRow[]> {
    return this.db.selectFrom('indicators').selectAll().where('active', '=', true).orderBy('id').execute();
  }
}
