import type { DemoSourceConfig } from '../config/schema';
import { demoValue } from './demo-values';
import { IngestSource, RawRecord, SourceReadContext } from './source';

/** Synthetic values for every active unit and indicator, for demos and for trying duban without real data. */
export class DemoSource implements IngestSource {
  readonly name: string;
  readonly percentScale = 'percent' as const;

  constructor(private readonly options: Pick<DemoSourceConfig, 'name' | 'seed' | 'anomalyRate' | 'missingRate'> & Partial<Pick<DemoSourceConfig, 'planted'>>) {
    this.name = options.name;
  }

  async *read(ctx: SourceReadContext): AsyncIterable<RawRecord> {
    const input = ctx.inputs.length;
    ctx.inputs.push({ name: `demo:${this.options.seed}` });
    let n = 0;
    for (const unit of ctx.catalogue.units) {
      for (const indicator of ctx.catalogue.indicators) {
        const v = demoValue(
          {
            ...this.options,
            unitCode: unit.code,
            indicatorCode: indicator.code,
            kind: indicator.kind,
            alert: indicator.alert,
            benchmark: indicator.benchmark,
            forced: (this.options.planted ?? []).some((p) => p.unit === unit.code && p.indicator === indicator.code && p.from <= ctx.day && ctx.day <= p.to),
          },
          ctx.day,
        );
        n++;
        if (v.kind === 'missing') continue;
        const raw = `${unit.code},${indicator.code},${ctx.day},${v.value}`;
        yield { input, line: n, raw, unit: unit.code, indicator: indicator.code, day: ctx.day, value: v.value };
      }
    }
  }
}
