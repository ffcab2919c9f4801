/**
 * The baseline rule's test (robust z of a day's value against the median and MAD of its window), computed in the
 * process from one series' window values, as a screen: it lets through every series the exact statement could find,
 * and a few more at the edge of float rounding, so that the statement need judge only those (src/services/
 * evaluation.service.ts). It never decides alone: what it lets through is judged again by the one statement that
 * defines the rule (CandidateRepository.baselineCandidates), which is also the full computation that replays and the
 * randomised equality test hold it to.
 */

export interface BaselineTest {
  minHistory: number;
  minDeviation: number;
  z: number;
}

/** What the screen says of one series. */
export type ScreenVerdict =
  /** Fewer than minHistory values in the window: not judged (counted as insufficient history). */
  | 'insufficient'
  /** Judged, and far from any breach. */
  | 'clear'
  /** Judged, and possibly a breach: for the exact statement to decide. */
  | 'suspect';

/** Slack far beyond float8 rounding (about 1e-16 relative), far below any threshold a person sets. */
const RELATIVE_SLACK = 1e-9;

export class BaselineScreen {
  private deviations = new Float64Array(32);

  constructor(private readonly test: BaselineTest) {}

  /**
   * @param window the window's values (the first `n`; sorted in place)
   * @param value the day's value, NaN when it has none
   * @param higherIsBetter the indicator's direction
   */
  screen(window: Float64Array, n: number, value: number, higherIsBetter: boolean): ScreenVerdict {
    if (n < this.test.minHistory) return 'insufficient';
    if (n === 0 || Number.isNaN(value)) return 'clear';
    const sorted = window.subarray(0, n).sort();
    // As the statement: the mean of the two middle values (the one middle value twice when n is odd).
    const median = (sorted[Math.floor((n + 1) / 2) - 1]! + sorted[Math.floor((n + 2) / 2) - 1]!) / 2;
    const badDeviation = higherIsBetter ? median - value : value - median;
    const slack = RELATIVE_SLACK * (1 + Math.abs(median) + Math.abs(value));
    // Most series sit near their median: no need of the MAD to clear them.
    if (badDeviation < this.test.minDeviation - slack) return 'clear';
    if (this.deviations.length < n) this.deviations = new Float64Array(n);
    for (let k = 0; k < n; k++) this.deviations[k] = Math.abs(sorted[k]! - median);
    const deviations = this.deviations.subarray(0, n).sort();
    // percentile_cont(0.5): interpolated between the two middle deviations.
    const row = (n - 1) / 2;
    const lo = Math.floor(row);
    const mad = deviations[lo]! + (deviations[Math.ceil(row)]! - deviations[lo]!) * (row - lo);
    if (mad <= slack) return 'suspect';
    return (0.6745 * badDeviation) / mad >= this.test.z * (1 - RELATIVE_SLACK) - RELATIVE_SLACK ? 'suspect' : 'clear';
  }
}
