/**
 * How a name written by a person (a CSV header, a unit in a cell, an alias in the catalogue) is compared with the
 * catalogue. One rule, used by the ingest and by the configuration check, so that two labels the check lets through
 * can never meet the same cell.
 *
 * NFKC folds full-width ASCII (`１２３４５`, `（％）`) and the ideographic space to their plain forms; all whitespace
 * and zero-width characters go (`12345按时办结率` is `12345 按时办结率`); case is ignored (`LANGXI` is `langxi`).
 * Brackets stay: `全程网办率（去年同期）` is another column than `全程网办率`.
 */
export function labelKey(label: string): string {
  // Most labels are their own key: codes, and names of CJK ideographs. Checked first, because a catalogue of 50,000
  // units has 200,000 labels (test/unit/labels.test.ts holds every character of the class to the rule below).
  if (ALREADY_A_KEY.test(label)) return label;
  return label.normalize('NFKC').replace(/[\s\u200b-\u200d\u2060\ufeff]+/g, '').toLowerCase();
}

/** Printable ASCII but upper-case letters, and the CJK Unified Ideographs: NFKC, blanks and case change none of them. */
const ALREADY_A_KEY = /^[\x21-\x40\x5b-\x7e\u4e00-\u9fff]*$/;

/**
 * The key without a trailing unit marker such as `（%）` or `(件)`, when the marker names `unit` (the indicator's own
 * unit): `全程网办率（％）` is the rate in per cent. Any other bracketed text is part of the name.
 */
export function withoutUnitMarker(key: string, unit: string): string | undefined {
  const marker = `(${labelKey(unit)})`;
  return unit !== '' && key.endsWith(marker) && key.length > marker.length ? key.slice(0, -marker.length) : undefined;
}

/** The candidate closest to `label` by edit distance on their keys, if it is close enough to be a likely slip. */
export function nearestLabel(label: string, candidates: readonly string[]): string | undefined {
  const key = labelKey(label);
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(key, labelKey(candidate));
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  // A third of the name may differ: `全程网办率` for `全程网上办理率`, not `好评率` for `按时办结率`.
  return best && best.distance <= Math.max(1, Math.floor(key.length / 3)) ? best.candidate : undefined;
}

function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[y.length]!;
}

/** A problem category as letters and the 台账 name it (config problems.deadlines keys). */
export const CATEGORY_LABELS: Readonly<Record<string, string>> = { simple: '一般问题', cross_department: '跨部门问题', complex: '复杂问题' };

export function categoryLabel(category: string): string {
  return CATEGORY_LABELS[category] ?? category;
}

/** How a person reads an anomaly's or a problem's severity. */
export const SEVERITY_LABELS: Readonly<Record<'warning' | 'major', string>> = { warning: '一般', major: '重大' };
