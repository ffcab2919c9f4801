/**
 * Splits decoded CSV text into rows, one chunk at a time, with memory bounded by `maxLineLength`.
 *
 * What a county office's file can hold, and what becomes of it:
 * - line breaks of any kind, mixed in one file (`\r\n`, `\n`, a lone `\r`): each ends a line;
 * - quoted fields (`"a,b"`, `"9""9"`), which may hold line breaks; a quote inside an unquoted field is a character;
 * - a quote that never closes (within the line limit, or before the end of the file) is a fault of the line where it
 *   opened, and the lines after it are read again as rows of their own: one stray quote never swallows the file;
 * - a line longer than the limit is a fault of that line, skipped without being held in memory;
 * - empty lines, and lines of delimiters only (Excel's blank rows), carry nothing and are skipped.
 */
export type CsvRow =
  | { kind: 'record'; fields: string[]; line: number; raw: string }
  | { kind: 'fault'; fault: 'unclosed_quote' | 'line_too_long'; line: number; raw: string };

/** Raw text kept of a faulty line: enough for a person to find it. */
const RAW_SHOWN = 200;
/** A quoted field may hold line breaks, but a quote still open after this many lines is taken as a stray one. */
const MAX_QUOTED_LINES = 100;

export class CsvRowReader {
  private buf = '';
  private line = 1;
  private started = false;
  /** Inside a line over the limit: its start, while the rest of it is skipped. */
  private skipping: { line: number; raw: string } | undefined;
  /** Where the next CR / quote after the current position is (-1: none in the buffer); recomputed when passed. */
  private nextCr = -2;
  private nextQuote = -2;
  /** A skipped line ended with a CR at the end of a chunk: an LF starting the next one belongs to it. */
  private dropLf = false;

  constructor(
    private readonly delimiter: string,
    private readonly maxLineLength: number,
  ) {}

  /** The rows completed by this chunk. */
  push(chunk: string, out: CsvRow[]): void {
    if (!this.started) {
      if (chunk.length === 0) return;
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.dropLf) {
      this.dropLf = false;
      if (chunk.charCodeAt(0) === 10) chunk = chunk.slice(1);
    }
    if (this.skipping) {
      const at = lineBreak(chunk, 0);
      const shown = this.skipping.raw.length;
      if (shown < RAW_SHOWN) this.skipping.raw += chunk.slice(0, Math.min(at === -1 ? chunk.length : at, RAW_SHOWN - shown));
      if (at === -1) return;
      out.push({ kind: 'fault', fault: 'line_too_long', ...this.skipping });
      this.skipping = undefined;
      this.dropLf = chunk.charCodeAt(at) === 13 && at === chunk.length - 1;
      chunk = chunk.slice(afterBreak(chunk, at));
      this.line++;
    }
    this.buf = this.buf === '' ? chunk : this.buf + chunk;
    this.nextCr = this.nextQuote = -2;
    this.scan(false, out);
  }

  /** The last rows, at the end of the input. */
  end(out: CsvRow[]): void {
    if (this.skipping) {
      out.push({ kind: 'fault', fault: 'line_too_long', ...this.skipping });
      this.skipping = undefined;
      return;
    }
    this.nextCr = this.nextQuote = -2;
    this.scan(true, out);
    this.buf = '';
  }

  private scan(atEnd: boolean, out: CsvRow[]): void {
    const text = this.buf;
    const d = this.delimiter;
    let pos = 0;
    for (;;) {
      if (pos >= text.length) break;
      const nl = text.indexOf('\n', pos);
      if (this.nextCr !== -1 && this.nextCr < pos) this.nextCr = text.indexOf('\r', pos);
      const cr = this.nextCr;
      let eol = nl === -1 ? cr : cr === -1 ? nl : Math.min(nl, cr);
      if (eol === -1) {
        if (!atEnd) break;
        eol = text.length;
      }
      // A CR at the end of what has been read may be the first half of a CRLF.
      if (!atEnd && eol === text.length - 1 && text.charCodeAt(eol) === 13) break;
      if (this.nextQuote !== -1 && this.nextQuote < pos) this.nextQuote = text.indexOf('"', pos);
      const quote = this.nextQuote;
      if (quote === -1 || quote >= eol) {
        if (eol - pos > this.maxLineLength) {
          out.push(tooLong(text, pos, eol, this.line));
        } else {
          const content = text.slice(pos, eol);
          if (content !== '') {
            const fields = content.split(d);
            if (!isBlank(fields)) out.push({ kind: 'record', fields, line: this.line, raw: content });
          }
        }
        pos = afterBreak(text, eol);
        this.line++;
        continue;
      }
      // A line with a quote: read field by field, possibly across line breaks. A quoted record counts only if it
      // closes within the limits (MAX_QUOTED_LINES, maxLineLength): decided on the text alone, so the same file
      // gives the same rows whatever chunks it arrives in.
      const parsed = parseQuoted(text, pos, d, atEnd);
      const within = (end: number) => countLines(text, pos, end) <= MAX_QUOTED_LINES && end - pos <= this.maxLineLength;
      if (parsed === undefined && !atEnd && within(text.length)) break; // it may still close in the next chunk
      if (parsed !== undefined && within(parsed.end)) {
        // Its line break may be the CR of a CRLF cut at the end of what has been read.
        if (!atEnd && parsed.end === text.length - 1 && text.charCodeAt(parsed.end) === 13) break;
        if (!isBlank(parsed.fields)) out.push({ kind: 'record', fields: parsed.fields, line: this.line, raw: text.slice(pos, parsed.end) });
        this.line += 1 + countLines(text, pos, parsed.end);
        pos = afterBreak(text, parsed.end);
        this.nextCr = this.nextQuote = -2;
        continue;
      }
      // A stray quote (or a line too long to tell): the line where it opened is a fault, and the lines after it are
      // read again.
      if (!atEnd && eol === text.length - 1 && text.charCodeAt(eol) === 13) break;
      out.push(
        eol - pos > this.maxLineLength
          ? tooLong(text, pos, eol, this.line)
          : { kind: 'fault', fault: 'unclosed_quote', line: this.line, raw: text.slice(pos, Math.min(eol, pos + RAW_SHOWN)) },
      );
      pos = afterBreak(text, eol);
      this.line++;
      this.nextCr = this.nextQuote = -2;
    }
    const rest = text.slice(pos);
    if (!atEnd && rest.length > this.maxLineLength && lineBreak(rest, 0) === -1) {
      // No line break in sight and already over the limit: the line is dropped as it streams, never held whole.
      this.skipping = { line: this.line, raw: rest.slice(0, RAW_SHOWN) };
      this.buf = '';
      return;
    }
    // A copy, not a slice: a slice would keep the whole chunk alive until the next one is read.
    this.buf = rest === '' ? '' : (' ' + rest).slice(1);
  }
}

function tooLong(text: string, pos: number, eol: number, line: number): CsvRow {
  return { kind: 'fault', fault: 'line_too_long', line, raw: text.slice(pos, Math.min(eol, pos + RAW_SHOWN)) };
}

/** Fields split as RFC 4180 reads them, from `pos` to the end of the record; undefined until the record is complete. */
function parseQuoted(text: string, pos: number, d: string, atEnd: boolean): { fields: string[]; end: number } | undefined {
  const fields: string[] = [];
  let i = pos;
  for (;;) {
    let value = '';
    if (text.charCodeAt(i) === 34) {
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) return undefined;
        value += text.slice(j, q);
        if (q + 1 === text.length && !atEnd) return undefined; // `"` then `"` may follow in the next chunk
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
    }
    // Unquoted text, or what follows a closing quote before the delimiter (kept as written).
    let k = i;
    while (k < text.length) {
      const c = text.charCodeAt(k);
      if (c === 10 || c === 13 || text.startsWith(d, k)) break;
      k++;
    }
    // The record may go on in the next chunk.
    if (k === text.length && !atEnd) return undefined;
    value += text.slice(i, k);
    fields.push(value);
    if (k < text.length && text.startsWith(d, k)) {
      i = k + d.length;
      continue;
    }
    return { fields, end: k };
  }
}

function lineBreak(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  const cr = text.indexOf('\r', from);
  return nl === -1 ? cr : cr === -1 ? nl : Math.min(nl, cr);
}

function afterBreak(text: string, at: number): number {
  if (at >= text.length) return text.length;
  return text.charCodeAt(at) === 13 && text.charCodeAt(at + 1) === 10 ? at + 2 : at + 1;
}

/** Line breaks (CRLF counting once) between `from` and `to`. */
function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) n++;
  }
  return n;
}

function isBlank(fields: string[]): boolean {
  for (const f of fields) if (f.trim() !== '') return false;
  return true;
}
