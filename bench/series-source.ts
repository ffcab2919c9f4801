import { RawBuilder, sql } from 'kysely';
import type { Db } from '../src/db/database';
import type { Day } from '../src/domain/day';
import type { IngestSource, RawRecord, SourceReadContext } from '../src/ingest/source';

/** One series a generated source reports: its unit and indicator, the level it sits at and the width of its range. */
export interface GeneratedSeries {
  unit: string;
  indicator: string;
  level: number;
  spread: number;
}

/** A small deterministic generator (an LCG), so that every run writes the same days. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Share of a day's values that are not reported. */
export const MISSING_RATE = 0.002;

export interface LevelOptions {
  /**
   * Share of the series of an indicator whose 预警值 is its 先进值 (按时办结率, 差评按期整改率: 100) that sit 0.5 to 2.5
   * points under it day after day. The rest sit at it: a level strictly between the two does not exist there, and any
   * value under 100 is a breach (overdue_cases is a major anomaly), so without this every such series would be one.
   * Absent, such series all sit at their benchmark. For indicators where higher is better (all the default ones).
   */
  chronicRate?: number;
}

/**
 * Each series' level: between its 预警值 and 先进值, fixed by the series' ids so that SQL and a generated source agree.
 * `i` is a row of `indicators_on(day)`, `u` of `units`.
 */
export function levelOf(i: RawBuilder<unknown>, u: RawBuilder<unknown>, opts: LevelOptions = {}): RawBuilder<unknown> {
  const between = sql`(${i}.alert_value + (coalesce(${i}.benchmark_value, 100) - ${i}.alert_value) * (0.3 + 0.6 * ((${u}.id * 7919 + ${i}.id * 104729) % 1000) / 1000.0))`;
  if (opts.chronicRate === undefined) return between;
  // Chosen by a hash that mixes (a linear one clumps: 19 of 1,000 units for one indicator, 4 for another).
  return sql`(CASE WHEN coalesce(${i}.benchmark_value, 100) = ${i}.alert_value AND (hashint4(${u}.id * 64 + ${i}.id)::bigint + 2147483648) % 10000 < ${opts.chronicRate * 10000}::float8
                   THEN ${i}.alert_value - 0.5 - 2.0 * ((${u}.id * 7919 + ${i}.id * 104729) % 1000) / 1000.0
                   ELSE ${between} END)`;
}

/** The width of a series' range: from 预警值 to 先进值 (100 when it has none). */
export function spreadOf(i: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(coalesce(${i}.benchmark_value, 100) - ${i}.alert_value)`;
}

/** Every series of the catalogue with its level, in the order a generated day lists them (unit, then indicator). */
export async function generatedSeries(db: Db, day: Day, opts: LevelOptions = {}): Promise<GeneratedSeries[]> {
  const r = await sql<GeneratedSeries>`
    SELECT u.code AS unit, i.code AS indicator, ${levelOf(sql`i`, sql`u`, opts)}::float8 AS level, ${spreadOf(sql`i`)}::float8 AS spread
    FROM indicators_on(${day}::date) i CROSS JOIN units u ORDER BY u.id, i.id`.execute(db);
  return r.rows;
}

export interface NoiseOptions {
  /** Share of values 5 points down (default 0.01). */
  dropRate?: number;
  /**
   * The noise is a tenth of the series' range, of at most a tenth of this (default: no cap). A range of 30 points
   * (电子证照用证率) otherwise moves ±1.5 points a day, and the daily change rule (2 points) fires on 5 % of its series
   * every day from noise alone.
   */
  noiseSpreadCap?: number;
}

/**
 * A day's values of every series: each at its level with a little noise, `dropRate` of them 5 points down,
 * MISSING_RATE not reported (absent here); the same for the same day. `line` is the series' place in the list.
 */
export function* valuesOn(series: readonly GeneratedSeries[], day: Day, opts: NoiseOptions = {}): Generator<{ series: GeneratedSeries; line: number; value: string }> {
  const dropRate = opts.dropRate ?? 0.01;
  const cap = opts.noiseSpreadCap ?? Infinity;
  const next = seededRandom(Number(day.replaceAll('-', '')));
  let line = 0;
  for (const s of series) {
    line++;
    const r = next();
    if (r < MISSING_RATE) continue;
    const drop = r > 1 - dropRate ? 5 : 0;
    yield { series: s, line, value: Math.min(100, s.level + Math.min(s.spread, cap) * 0.1 * (next() - 0.5) - drop).toFixed(2) };
  }
}

/**
 * A day's values of every series, as a source hands them on: each at its level with a little noise, 1 % of values 5
 * points down, 0.2 % missing; the same for the same day. What bench:reconcile and the reconciliation scale test
 * ingest day after day.
 */
export class GeneratedSeriesSource implements IngestSource {
  readonly percentScale = 'percent' as const;

  constructor(
    readonly name: string,
    private readonly series: readonly GeneratedSeries[],
  ) {}

  async *read(ctx: SourceReadContext): AsyncIterable<RawRecord> {
    const input = ctx.inputs.length;
    ctx.inputs.push({ name: `${this.name}:${ctx.day}` });
    for (const { series: s, line, value } of valuesOn(this.series, ctx.day)) {
      yield { input, line, raw: `${s.unit},${s.indicator},${value}`, unit: s.unit, indicator: s.indicator, day: null, value };
    }
  }
}
