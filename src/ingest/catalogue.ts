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

export class Catalogue {
  private readonly unitByLabel = new Map<string, CatalogueUnit>();
  private readonly indicatorByLabel = new Map<string, CatalogueIndicator>();

  constructor(
    readonly units: ReadonlyArray<CatalogueUnit & { aliases?: readonly string[] }>,
    readonly indicators: ReadonlyArray<CatalogueIndicator>,
  ) {
    for (const u of units) {
      for (const label of [u.code, u.name, ...(u.aliases ?? [])]) {
        this.unitByLabel.set(label, u);
        this.unitByLabel.set(normalizeLabel(label), u);
      }
    }
    for (const i of indicators) {
      for (const label of [i.code, i.name]) {
        this.indicatorByLabel.set(label, i);
        this.indicatorByLabel.set(normalizeLabel(label), i);
      }
    }
  }

  unit(label: string): CatalogueUnit | undefined {
    // The exact label first: this runs once per row, and sources mostly write codes exactly.
    return this.unitByLabel.get(label) ?? this.unitByLabel.get(normalizeLabel(label));
  }

  /** Also finds `全程网办率（%）` or `full_online_rate(%)`: headers often carry the unit in brackets. */
  indicator(label: string): CatalogueIndicator | undefined {
    const exact = this.indicatorByLabel.get(label);
    if (exact) return exact;
    const key = normalizeLabel(label);
    return this.indicatorByLabel.get(key) ?? this.indicatorByLabel.get(stripBracketSuffix(key));
  }
}

export function normalizeLabel(label: string): string {
  return label.replace(/^\uFEFF/, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

function stripBracketSuffix(label: string): string {
  return label.replace(/\s*[(（][^()（）]*[)）]\s*$/, '');
}
