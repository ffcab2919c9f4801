import { createHash, Hash } from 'node:crypto';

/**
 * The fingerprint of the values one ingest run wrote, as the ledger records it (`values_recorded`) and as
 * `audit verify` recomputes it: SHA-256 over one line per value, `indicator_id TAB unit_id TAB value LF`, sorted by
 * indicator, unit and then value (bytewise), the value with its trailing zeros trimmed (99.50 is 99.5). These are
 * exactly the bytes of PostgreSQL's COPY text output of `indicator_id, unit_id, trim_scale(value)::text`, so the
 * database streams them and the hash is taken by duban, not by a database function.
 *
 * What a run wrote is what it stored, whether still current or since replaced: the observations whose `run_id` is the
 * run, and the revisions whose `old_run_id` is the run (their `old_value`). A changed, added or removed value of a
 * past run therefore changes its fingerprint.
 */
export class ValuesDigest {
  private readonly hash: Hash = createHash('sha256');
  private lines = 0;
  private done: { values: number; digest: string } | undefined;

  /** COPY text as it streams, or lines built the same way; chunks may split lines anywhere. */
  update(chunk: string | Buffer): void {
    if (this.done) throw new Error('ValuesDigest: update after result');
    this.hash.update(chunk);
    const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lines++;
  }

  result(): { values: number; digest: string } {
    return (this.done ??= { values: this.lines, digest: this.hash.digest('hex') });
  }
}

/** The line of one value, for a reader that gets rows rather than COPY text. */
export function digestLine(indicatorId: number | string, unitId: number | string, trimmedValue: string): string {
  return `${indicatorId}\t${unitId}\t${trimmedValue}\n`;
}
