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
    const next = seededRandom(Number(ctx.day.replaceAll('-', '')));
    let line = 0;
    for (const s of this.series) {
      line++;
      const r = next();
      if (r < 0.002) continue;
      const drop = r > 0.99 ? 5 : 0;
      const value = Math.min(100, s.level + s.spread * 0.1 * (next() - 0.5) - drop).toFixed(2);
      yield { input, line, raw: `${s.unit},${s.indicator},${value}`, unit: s.unit, indicator: s.indicator, day: null, value };
    }
  }
}
