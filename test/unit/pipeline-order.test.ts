import { rankOf, STEPS } from '../../jobs/pipeline';
import { precedes } from '../../src/queue/pipeline-sweep';

describe('the one order of the days\' work', () => {
  const step = (name: 'ingest' | 'evaluate' | 'reconcile' | 'alerts', day: string) => ({ name, day, rank: rankOf(STEPS, name) });

  it('ranks the day steps by what they follow, as declared', () => {
    expect(['ingest', 'evaluate', 'reconcile', 'alerts', 'letters', 'summary'].map((s) => rankOf(STEPS, s))).toEqual([0, 1, 2, 2, 3, 4]);
  });

  it('puts every ingest before any evaluation, every evaluation before any reconciliation, older days first', () => {
    const shuffled = [
      step('reconcile', '2026-11-20'),
      step('ingest', '2026-11-21'),
      step('evaluate', '2026-11-20'),
      step('ingest', '2026-11-20'),
      step('reconcile', '2026-11-19'),
      step('evaluate', '2026-11-21'),
    ];
    const sorted = [...shuffled].sort((a, b) => (precedes(a, b) ? -1 : precedes(b, a) ? 1 : 0));
    expect(sorted.map((s) => `${s.name} ${s.day}`)).toEqual([
      'ingest 2026-11-20',
      'ingest 2026-11-21',
      'evaluate 2026-11-20',
      'evaluate 2026-11-21',
      'reconcile 2026-11-19',
      'reconcile 2026-11-20',
    ]);
  });

  it('is strict: a step does not precede itself, so no job waits for itself', () => {
    expect(precedes(step('evaluate', '2026-11-20'), step('evaluate', '2026-11-20'))).toBe(false);
    expect(precedes(step('evaluate', '2026-11-21'), step('evaluate', '2026-11-20'))).toBe(false);
    // A later day's ingest still comes before an earlier day's evaluation: the catch-up order of an uninterrupted run.
    expect(precedes(step('ingest', '2026-11-25'), step('evaluate', '2026-11-20'))).toBe(true);
  });
});
