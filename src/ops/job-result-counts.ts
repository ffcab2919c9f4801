import type { ResultOf } from '../../jobs/handlers';

export type IngestJobResult = ResultOf<'ingest'>;
/** Or, for a verdict overtaken before it ran, what the runner recorded instead. */
export type EvaluateJobResult = ResultOf<'evaluate'> | { superseded: string };

export const ROW_OUTCOMES = ['accepted', 'revised', 'unchanged', 'duplicates', 'rejected', 'ignored'] as const;
export type RowOutcome = (typeof ROW_OUTCOMES)[number];

/** Cells of an ingest job by what became of them, summed over its sources. */
export function ingestRowCounts(result: IngestJobResult): Record<RowOutcome, number> {
  const counts = { accepted: 0, revised: 0, unchanged: 0, duplicates: 0, rejected: 0, ignored: 0 };
  // A result recorded before duplicates and ignored cells were counted has neither.
  for (const source of result) for (const outcome of ROW_OUTCOMES) counts[outcome] += source[outcome] ?? 0;
  return counts;
}

/**
 * Anomalies an evaluation newly recorded, by severity. Only new ones: re-judging a day after a revision finds the
 * standing anomalies again, and counting those twice would make a quiet week look like a bad one.
 */
export function newAnomaliesBySeverity(result: EvaluateJobResult): Record<'warning' | 'major', number> {
  const counts = { warning: 0, major: 0 };
  // A verdict passed over for a newer one recorded nothing.
  if (!('evaluation' in result)) return counts;
  for (const rule of result.evaluation.rules) counts[rule.severity] += rule.new;
  return counts;
}
