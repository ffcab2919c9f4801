import { InvalidArgumentError } from 'commander';

/** A problem number as typed on the command line. */
export function parseId(v: string): number {
  if (!/^[1-9][0-9]*$/.test(v)) throw new InvalidArgumentError('问题编号应为正整数');
  return Number(v);
}
