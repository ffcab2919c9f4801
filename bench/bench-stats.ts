/** The middle of the rounds (the upper middle of an even number). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** `min / median / max` of the rounds, each written by `format` (a number: that many decimals). */
export function minMedianMax(xs: readonly number[], format: number | ((x: number) => string) = 0): string {
  const f = typeof format === 'number' ? (x: number) => x.toFixed(format) : format;
  return `${f(Math.min(...xs))} / ${f(median(xs))} / ${f(Math.max(...xs))}`;
}
