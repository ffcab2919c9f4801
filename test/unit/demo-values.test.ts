import { demoValue, DemoSeries } from '../../src/ingest/demo-values';
import { dayRange } from '../../src/domain/day';

const series: DemoSeries = {
  seed: 7,
  unitCode: 'ningguo',
  indicatorCode: 'full_online_rate',
  kind: 'percent',
  alert: 99,
  benchmark: 100,
  anomalyRate: 0.05,
  missingRate: 0.02,
};

describe('demoValue', () => {
  const days = dayRange('2026-01-01', '2026-12-31');

  it('gives the same value for the same day every time, and another seed gives other values', () => {
    const a = days.map((d) => demoValue(series, d));
    expect(days.map((d) => demoValue(series, d))).toEqual(a);
    expect(days.map((d) => demoValue({ ...series, seed: 8 }, d))).not.toEqual(a);
  });

  it('keeps healthy days above the alert value, plants anomalies below it and leaves some days out', () => {
    const values = days.map((d) => demoValue(series, d));
    const healthy = values.filter((v) => v.kind === 'value' && !v.planted);
    const planted = values.filter((v) => v.kind === 'value' && v.planted);
    const missing = values.filter((v) => v.kind === 'missing');
    expect(healthy.every((v) => v.kind === 'value' && Number(v.value) >= 99 && Number(v.value) <= 100)).toBe(true);
    expect(planted.length).toBeGreaterThan(5);
    expect(planted.every((v) => v.kind === 'value' && Number(v.value) < 99)).toBe(true);
    expect(missing.length).toBeGreaterThan(0);
  });

  it('plants an anomaly on a forced day, even one that would have had no value, and nothing else', () => {
    const quiet = { ...series, anomalyRate: 0, missingRate: 0.3 };
    for (const d of days.slice(0, 60)) {
      const v = demoValue({ ...quiet, forced: true }, d);
      expect(v.kind === 'value' && v.planted && Number(v.value) < 99).toBe(true);
    }
    expect(days.map((d) => demoValue(quiet, d)).some((v) => v.kind === 'value' && v.planted)).toBe(false);
  });
});
