import type { Day } from './day';

/** One unit's standing on one indicator, as the week's letters read it. */
export interface CockpitStanding {
  unitCode: string;
  unitName: string;
  unitKind: 'city' | 'county' | 'department';
  indicator: string;
  measure: string;
  direction: 'higher' | 'lower';
  latest: number | null;
  weekAgo: number | null;
  alert: number | null;
  rank: number | null;
  peers: number;
}

export interface CockpitTile {
  indicator: string;
  measure: string;
  direction: 'higher' | 'lower';
  /** The city's own value on the data day (the unit of kind city), if it reports one. */
  cityValue: number | null;
  alert: number | null;
  /** The city's change on a week before, signed; `worse` when it moved the bad way. */
  change: number | null;
  worse: boolean;
  /** Units (counties and departments) on the bad side of the 预警值 on the data day, worst first. */
  below: Array<{ unit: string; value: number }>;
}

export function breaches(value: number | null, alert: number | null, direction: 'higher' | 'lower'): boolean {
  return value !== null && alert !== null && (direction === 'higher' ? value < alert : value > alert);
}

/**
 * The director's cockpit (决策驾驶舱) tiles: per indicator, the city value against its 预警值, the change on last week,
 * and which units are below the 预警值. Indicators keep the order they come in (the catalogue's).
 */
export function cockpitTiles(standings: readonly CockpitStanding[]): CockpitTile[] {
  const byIndicator = new Map<string, CockpitStanding[]>();
  for (const s of standings) byIndicator.set(s.indicator, [...(byIndicator.get(s.indicator) ?? []), s]);
  return [...byIndicator.entries()].map(([indicator, rows]) => {
    const first = rows[0]!;
    const city = rows.find((r) => r.unitKind === 'city');
    const change = city && city.latest !== null && city.weekAgo !== null ? round(city.latest - city.weekAgo) : null;
    const below = rows
      .filter((r) => r.unitKind !== 'city' && breaches(r.latest, r.alert, r.direction))
      .map((r) => ({ unit: r.unitName, value: r.latest! }))
      .sort((a, b) => (first.direction === 'higher' ? a.value - b.value : b.value - a.value));
    return {
      indicator,
      measure: first.measure,
      direction: first.direction,
      cityValue: city?.latest ?? null,
      alert: first.alert,
      change,
      worse: change !== null && (first.direction === 'higher' ? change < 0 : change > 0),
      below,
    };
  });
}

/** Each indicator's units (not the city itself), worst first, for the cockpit's per-indicator ranking. */
export function indicatorRankings(standings: readonly CockpitStanding[]): Array<{ indicator: string; units: Array<{ unit: string; value: number | null; rank: number | null; peers: number; breach: boolean }> }> {
  const byIndicator = new Map<string, CockpitStanding[]>();
  for (const s of standings) if (s.unitKind !== 'city') byIndicator.set(s.indicator, [...(byIndicator.get(s.indicator) ?? []), s]);
  return [...byIndicator.entries()].map(([indicator, rows]) => ({
    indicator,
    // Worst first, by the indicator's direction; units without a value last.
    units: [...rows]
      .sort((a, b) => (a.latest === null ? 1 : b.latest === null ? -1 : a.direction === 'higher' ? a.latest - b.latest : b.latest - a.latest))
      .map((r) => ({ unit: r.unitName, value: r.latest, rank: r.rank, peers: r.peers, breach: breaches(r.latest, r.alert, r.direction) })),
  }));
}

export interface CockpitTrendPoint {
  day: Day;
  value: number;
}

function round(n: number): number {
  return Math.round(n * 10000) / 10000;
}
