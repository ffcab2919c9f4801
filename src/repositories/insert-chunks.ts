/** PostgreSQL's limit on the parameters of one statement (a 16-bit count in the protocol's Bind message). */
export const MAX_BIND_PARAMETERS = 65_535;

/**
 * Rows cut into runs that each fit one multi-row INSERT: past the limit the count wraps and PostgreSQL refuses the
 * statement ("bind message has 44464 parameter formats but 0 parameters"), as 5,000 new problems a day once did.
 */
export function insertChunks<T extends object>(rows: readonly T[]): T[][] {
  if (rows.length === 0) return [];
  const columns = Math.max(1, ...rows.map((r) => Object.keys(r).length));
  const size = Math.max(1, Math.floor(MAX_BIND_PARAMETERS / columns));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
