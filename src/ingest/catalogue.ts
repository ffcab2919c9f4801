import { labelKey, withoutUnitMarker } from '../domain/labels';

/** The active units and indicators, indexed by every label a source may use for them. */
export interface CatalogueUnit {
  id: number;
  code: string;
  name: string;
  kind: 'city' | 'county' | 'department';
}

export interface CatalogueIndicator {
  id: number;
  code: string;
  name: string;
  unit: string;
  kind: 'percent' | 'count' | 'number';
  alert: number | null;
  benchmark: number | null;
}

/**
 * Labels are matched by `labelKey` (full-width folded, whitespace and case ignored); the configuration check refuses
 * two units or two indicators whose labels share a key, so a match is never a guess between two.
 */
export class Catalogue {
  private readonly unitByLabel = new Map<string, CatalogueUnit>();
  private readonly indicatorByLabel = new Map<string, CatalogueIndicator>();

  constructor(
    readonly units: ReadonlyArray<CatalogueUnit & { aliases?: readonly string[] }>,
    readonly indicators: ReadonlyArray<CatalogueIndicator & { headerAliases?: readonly string[] }>,
  ) {
    for (const u of units) {
      for (const label of [u.code, u.name, ...(u.aliases ?? [])]) {
        this.unitByLabel.set(label, u);
        this.unitByLabel.set(labelKey(label), u);
      }
    }
    for (const i of indicators) {
      for (const label of [i.code, i.name, ...(i.headerAliases ?? [])]) {
        this.indicatorByLabel.set(label, i);
        this.indicatorByLabel.set(labelKey(label), i);
      }
    }
  }

  unit(label: string): CatalogueUnit | undefined {
    // The exact label first: this runs once per row, and sources mostly write codes exactly.
    return this.unitByLabel.get(label) ?? this.unitByLabel.get(labelKey(label));
  }

  /**
   * Also finds `全程网办率（%）` or `办件量(件)`: headers often carry the indicator's own unit in brackets. Other
   * bracketed text is part of the name: `全程网办率（去年同期）` is not today's 全程网办率.
   */
  indicator(label: string): CatalogueIndicator | undefined {
    const exact = this.indicatorByLabel.get(label);
    if (exact) return exact;
    const key = labelKey(label);
    const found = this.indicatorByLabel.get(key);
    if (found) return found;
    const open = key.lastIndexOf('(');
    if (open <= 0 || !key.endsWith(')')) return undefined;
    const named = this.indicatorByLabel.get(key.slice(0, open));
    return named && withoutUnitMarker(key, named.unit) !== undefined ? named : undefined;
  }

  /** Every label of the indicators, for suggesting the one a mistyped header meant. */
  indicatorLabels(): string[] {
    return this.indicators.flatMap((i) => [i.name, ...(i.headerAliases ?? [])]);
  }
}
