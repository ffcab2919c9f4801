import v8 from 'node:v8';

/**
 * How far V8 lets the heap grow past what a full collection found alive: by half of it. V8's default grows it up to
 * four times when allocation is brisk, and duban's days allocate briskly (550,000 cells parsed, thousands of letters
 * rendered and sent) while keeping little: at 50,000 units at most ~90 MB is alive at any moment, yet the process
 * grew to 450–560 MB with the default and stays at about 250 MB with this, at no measurable cost in time
 * (docs/benchmarks.md#a-national-day). It is a growth policy, not a ceiling: a larger live set still gets the heap it
 * needs (the ceiling stays node's own, or `--max-old-space-size`).
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Applied once at start-up by every entry point that does the loop's work (the CLI, hence the daemon, and the
 * benchmarks that stand in for it). An operator's own `--heap-growing-percent` on the node command line wins.
 */
export function applyHeapPolicy(): void {
  if (process.execArgv.some((a) => /^--heap[-_]growing[-_]percent/.test(a))) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
