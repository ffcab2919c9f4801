import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { IndicatorsTable, IndicatorVersionRow, UnitRow, UnitsTable } from '../db/schema';
import { indicatorsOn } from './indicator-version.repository';
import type { Insertable } from 'kysely';

export type UnitUpsert = Omit<Insertable<UnitsTable>, 'id' | 'active' | 'created_at' | 'updated_at'>;
export type IndicatorOnDay = Pick<IndicatorVersionRow, 'kind' | 'alert_value' | 'benchmark_value'> & { id: number; code: string; name: string; unit: string; header_aliases: string[] };
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

  /** Names and sources only: an indicator's thresholds are versions (indicator-version.repository.ts), never upserted. */
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
            formula: eb.ref('excluded.formula'),
            source_system: eb.ref('excluded.source_system'),
            source_department: eb.ref('excluded.source_department'),
            header_aliases: eb.ref('excluded.header_aliases'),
            active: true,
            updated_at: sql`now()`,
          }))
          .where(sql<boolean>`(indicators.name, indicators.unit, indicators.formula, indicators.source_system,
              indicators.source_department, indicators.header_aliases, indicators.active)
            IS DISTINCT FROM (excluded.name, excluded.unit, excluded.formula, excluded.source_system,
              excluded.source_department, excluded.header_aliases, true)`),
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

  /** The active indicators with the thresholds in force on `day` (ingest checks a value's kind with them). */
  async activeIndicatorsOn(day: string): Promise<IndicatorOnDay[]> {
    const r = await sql<IndicatorOnDay>`
      SELECT id, code, name, unit, kind, header_aliases, alert_value::text, benchmark_value::text
      FROM ${indicatorsOn(day)} i WHERE active ORDER BY id`.execute(this.db);
    return r.rows;
  }
}
