import type { Day } from '../domain/day';
import { weekday } from '../domain/day';

/**
 * Deterministic synthetic values: the same seed, unit, indicator and day always give the same value, so a demo or a
 * test can be re-run and compared. Each (unit, indicator) has its own level between the alert and benchmark values,
 * weekends run a little lower, rates move a point or so from day to day, and a small share of days carry a planted
 * anomaly or no value at all.
 */
export interface DemoSeries {
  seed: number;
  unitCode: string;
  indicatorCode: string;
  kind: 'percent' | 'count' | 'number';
  alert: number | null;
  benchmark: number | null;
  anomalyRate: number;
  missingRate: number;
  /** This day is one of a planted anomaly's. */
  forced?: boolean;
}

export type DemoValue = { kind: 'value'; value: string; planted: boolean } | { kind: 'missing' };

export function demoValue(s: DemoSeries, day: Day): DemoValue {
  const seriesKey = `${s.seed}|${s.unitCode}|${s.indicatorCode}`;
  const dayRandom = mulberry32(hash32(`${seriesKey}|${day}`));
  const roll = dayRandom();
  if (roll < s.missingRate && !s.forced) return { kind: 'missing' };

  const alert = s.alert ?? (s.kind === 'percent' ? 90 : 100);
  const benchmark = s.benchmark ?? (s.kind === 'percent' ? 100 : alert * 1.2);
  const level = mulberry32(hash32(seriesKey))();
  // Healthy series sit above the alert value; the spread is a share of the alert-to-benchmark gap.
  const gap = Math.max(benchmark - alert, s.kind === 'percent' ? 0.5 : 1);
  const base = alert + gap * (0.35 + 0.6 * level);
  const weekend = weekday(day) === 0 || weekday(day) === 6 ? -0.15 * gap : 0;
  // A rate over many cases moves a point or so from day to day, however wide its alert-to-benchmark gap.
  const noise = (dayRandom() - 0.5) * Math.min(0.3 * gap, s.kind === 'percent' ? 2 : Infinity);
  let value = base + weekend + noise;
  const planted = s.forced === true || (roll >= s.missingRate && roll < s.missingRate + s.anomalyRate);
  if (planted) value = alert - gap * (0.5 + 2 * dayRandom()) - 1;
  if (s.kind === 'percent') value = Math.min(100, Math.max(0, value));
  if (s.kind === 'count') value = Math.max(0, Math.round(value));
  return { kind: 'value', value: value.toFixed(s.kind === 'count' ? 0 : 2), planted };
}

function hash32(text: string): number {
  // FNV-1a: small, stable across Node versions, good enough to seed a PRNG.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
