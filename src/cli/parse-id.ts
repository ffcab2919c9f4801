import { InvalidArgumentError } from 'commander';

/** PostgreSQL's integer: a larger number names no row, and would reach the database as an error of its own. */
const MAX_INT = 2_147_483_647;

/** A whole number as typed on the command line, refused before any query when it is not one (`abc`, `-5`, `1e3`). */
export function positiveInt(noun: string, max = MAX_INT): (v: string) => number {
  return (v) => {
    const text = v.trim();
    if (!/^[1-9][0-9]*$/.test(text) || Number(text) > max) throw new InvalidArgumentError(`${noun}应为 1 至 ${max} 之间的整数`);
    return Number(text);
  };
}

/** A problem number as typed on the command line. */
export const parseId = positiveInt('问题编号');
