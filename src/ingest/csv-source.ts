import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import type { CsvSourceConfig } from '../config/schema';
import { compactDay, Day } from '../domain/day';
import { CsvLayout, detectLayout } from './csv-layout';
import { IngestSource, InputError, RawRecord, SourceReadContext } from './source';
import { EncodingChoice, TextDecodingStream } from './text-decoding';

type CsvOptions = Pick<CsvSourceConfig, 'name' | 'path' | 'pattern' | 'encoding' | 'format' | 'delimiter' | 'percentScale'>;

/** A drop folder (one or more files per day, chosen by `pattern`) or a single file. */
export class CsvSource implements IngestSource {
  readonly name: string;
  readonly percentScale: CsvOptions['percentScale'];

  constructor(private readonly options: CsvOptions) {
    this.name = options.name;
    this.percentScale = options.percentScale;
  }

  async *read(ctx: SourceReadContext): AsyncIterable<RawRecord> {
    for await (const batch of this.readBatches(ctx)) yield* batch;
  }

  /**
   * The same records as `read`, handed on a few thousand at a time: a million-row file costs a million async
   * iterations one by one, which is more than parsing it.
   */
  async *readBatches(ctx: SourceReadContext): AsyncIterable<RawRecord[]> {
    for (const file of await this.filesFor(ctx.day)) yield* this.readFile(file, ctx);
  }

  private async filesFor(day: Day): Promise<string[]> {
    const target = this.options.path;
    let info;
    try {
      info = await stat(target);
    } catch {
      throw new InputError(target, '文件或目录不存在');
    }
    if (info.isFile()) return [target];
    const pattern = this.options.pattern.replaceAll('{day}', day).replaceAll('{yyyymmdd}', compactDay(day));
    const matcher = globToRegExp(pattern);
    const files = (await readdir(target, { withFileTypes: true }))
      .filter((e) => e.isFile() && matcher.test(e.name))
      .map((e) => path.join(target, e.name))
      .sort();
    if (files.length === 0) throw new InputError(target, `目录中没有 ${day} 的文件（匹配 ${pattern}）`);
    return files;
  }

  private async *readFile(file: string, ctx: SourceReadContext): AsyncGenerator<RawRecord[]> {
    const input = ctx.inputs.length;
    const info: SourceReadContext['inputs'][number] = { name: file };
    ctx.inputs.push(info);
    const reader = new CsvRecordReader(file, this.options.encoding, this.options.delimiter);

    let layout: CsvLayout | undefined;
    try {
      for await (const records of reader.batches()) {
        if (records === RESTART) {
          // csv-parse reads the file again: the header counts as seen once csv-parse hands it on, as it always has.
          layout = undefined;
          delete info.encoding;
          delete info.format;
          delete info.ignoredColumns;
          continue;
        }
        const out: RawRecord[] = [];
        for (const { fields: record, line, raw: rawText } of records) {
          if (!layout) {
            const detected = detectLayout(record, ctx.catalogue, this.options.format);
            if (!detected.ok) throw new InputError(file, `第 ${line} 行：${detected.message}`);
            layout = detected.layout;
            info.encoding = reader.encoding;
            info.format = layout.format;
            if (layout.format === 'wide' && layout.ignoredColumns.length > 0) info.ignoredColumns = layout.ignoredColumns;
            continue;
          }
          const malformed = record.length < layout.width ? `只有 ${record.length} 列，表头有 ${layout.width} 列` : undefined;
          if (layout.format === 'long') {
            out.push({
              input,
              line,
              raw: rawText,
              unit: record[layout.unit] ?? '',
              indicator: record[layout.indicator] ?? '',
              day: layout.day === null ? null : (record[layout.day] ?? ''),
              value: record[layout.value] ?? '',
              malformed,
            });
          } else {
            const unit = record[layout.unit] ?? '';
            const day = layout.day === null ? null : (record[layout.day] ?? '');
            for (const { column, label } of layout.indicators) {
              out.push({ input, line, raw: rawText, unit, indicator: label, day, value: record[column] ?? '', malformed });
            }
          }
        }
        if (out.length > 0) yield out;
      }
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(file, describeReadError(err));
    }
    if (!layout) throw new InputError(file, '文件为空，没有表头');
  }
}

/** One CSV record: its fields, the line csv-parse reports for it, and its raw text without the trailing line break. */
interface CsvRecord {
  fields: string[];
  line: number;
  raw: string;
}

/** Handed on when the fast path stops and csv-parse starts over (handing on the header again, not the data). */
const RESTART = Symbol('restart');

/** Records handed on per batch. Small batches die young: fewer rows survive into the old heap, lower peak memory. */
const BATCH = 1024;
/** A "line" longer than this without a line break is left to csv-parse rather than buffered here. */
const FAST_MAX_LINE = 1 << 20;
/**
 * csv-parse leaves the last 3 bytes of each chunk for its next call (its look-ahead covers the 3-byte UTF-8 space
 * characters it can trim), so a record whose line break starts there is emitted with the next chunk. The fast path
 * holds such lines back the same way.
 */
const LOOKAHEAD = 3;

/**
 * Reads a CSV file into records exactly as csv-parse does with the options below — fields, `info.lines` and `raw`.
 *
 * csv-parse walks the file byte by byte and builds an `info` object per record; on a million-row file that is most
 * of an ingest's CPU time. Most files are plain: one record per line, fields without quotes, or quoted fields that
 * close on the same line. Those lines are read here with string searches. At the first line that is anything else
 * (a quoted line break, a stray CR, a quote csv-parse would refuse, a lone-CR file…) the file is read again from the
 * start by csv-parse itself, skipping the records already handed on: whatever the fast path cannot vouch for is
 * decided, and reported, by csv-parse as before.
 *
 * Until the header has gone on, records go on chunk by chunk as csv-parse emits them, and never from a chunk in which
 * csv-parse would have stopped with an error: when an input fails, the run records what it did before (the header
 * seen or not, and which error). Data records handed on before a failure are rolled back with the run, so after the
 * header they go on in small batches as they are read.
 */
class CsvRecordReader {
  /** The encoding used, once the first chunk has been decoded. */
  encoding: TextDecodingStream['encoding'];

  constructor(
    private readonly file: string,
    private readonly choice: EncodingChoice,
    private readonly delimiter: string,
  ) {}

  async *batches(): AsyncGenerator<CsvRecord[] | typeof RESTART> {
    let handedOn = 0;
    if (this.delimiter.length === 1 && !'"\r\n'.includes(this.delimiter)) {
      const outcome = yield* this.fast();
      if (outcome === 'complete') return;
      handedOn = outcome;
      yield RESTART;
    }
    yield* this.parsed(handedOn);
  }

  private open(): TextDecodingStream {
    const decoder = new TextDecodingStream(this.choice, this.file);
    // pipeline() destroys every stage on error or early exit, so a broken file never leaves a descriptor open.
    pipeline(createReadStream(this.file, { highWaterMark: 256 * 1024 }), decoder, () => undefined);
    return decoder;
  }

  /** Returns 'complete', or the number of records handed on before a line it leaves to csv-parse. */
  private async *fast(): AsyncGenerator<CsvRecord[], 'complete' | number> {
    const d = this.delimiter;
    const decoder = this.open();
    /** Records handed on so far: where csv-parse takes over if the fast path stops. */
    let handedOn = 0;
    let line = 1;
    /** csv-parse keeps the line breaks of skipped empty lines in the raw text of the next record. */
    let pendingRaw = '';
    /** The record delimiter as csv-parse discovers it from the first line break: undefined until then. */
    let crlf: boolean | undefined;
    let started = false;
    let carry = '';

    /**
     * Reads into `batch` (up to `max` records) the complete lines of `text` from `pos` that csv-parse would emit now
     * (all of them at the end of the file; `following` characters of the chunk come after `text`); returns where the
     * rest starts, or -1 at a line csv-parse must read.
     */
    const lines = (text: string, pos: number, atEnd: boolean, batch: CsvRecord[], max: number, following = 0): number => {
      let nextCr = -2;
      let nextQuote = -2;
      for (;;) {
        if (batch.length >= max) return pos;
        const nl = text.indexOf('\n', pos);
        if (nl === -1) return pos;
        if (nextCr < pos && nextCr !== -1) nextCr = text.indexOf('\r', pos);
        if (crlf === undefined) crlf = nextCr !== -1 && nextCr < nl;
        let end = nl;
        if (crlf) {
          if (nl === pos || text.charCodeAt(nl - 1) !== 13) return -1;
          end = nl - 1;
        }
        if (!atEnd && following < LOOKAHEAD && !bytesFollow(text, end)) return pos;
        // A CR inside the line: a field character to csv-parse, but one that counts as a line.
        if (nextCr !== -1 && nextCr < end) return -1;
        if (end === pos) {
          pendingRaw += crlf ? '\r' : '\n';
        } else {
          const content = text.slice(pos, end);
          if (nextQuote < pos && nextQuote !== -1) nextQuote = text.indexOf('"', pos);
          const fields = nextQuote !== -1 && nextQuote < end ? splitQuoted(content, d) : content.split(d);
          if (!fields) return -1;
          batch.push({ fields, line, raw: pendingRaw + content });
          pendingRaw = '';
        }
        line++;
        pos = nl + 1;
      }
    };

    for await (const decoded of decoder as AsyncIterable<string>) {
      this.encoding = decoder.encoding;
      let chunk = decoded;
      if (!started) {
        if (chunk.length === 0) continue;
        started = true;
        // bom: true — csv-parse drops a byte-order mark left at the start of the decoded text.
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      }
      // Records read from this chunk and not yet handed on.
      let pending: CsvRecord[] = [];
      let text = chunk;
      let rest = 0;
      if (carry !== '') {
        const nl = chunk.indexOf('\n');
        if (nl !== -1 && chunk.length - nl - 1 >= LOOKAHEAD) {
          // The line cut at the end of the last chunk is read joined with the start of this one, and the rest of the
          // chunk where it is: joining the whole chunk to it would copy it into one more large string.
          const head = carry + chunk.slice(0, nl + 1);
          if (lines(head, 0, false, pending, Infinity, chunk.length - nl - 1) === -1) return handedOn;
          rest = nl + 1;
        } else {
          text = carry + chunk;
        }
      }
      if (handedOn > 0) {
        // The header has gone on: the rest of the chunk goes on as it is read.
        if (pending.length > 0) {
          handedOn += pending.length;
          yield pending;
          pending = [];
        }
        for (;;) {
          const batch: CsvRecord[] = [];
          rest = lines(text, rest, false, batch, BATCH);
          if (rest === -1) return handedOn;
          if (batch.length === 0) break;
          handedOn += batch.length;
          yield batch;
        }
      }
      rest = lines(text, rest, false, pending, Infinity);
      if (rest === -1) return handedOn;
      // A copy, not a slice: a slice would keep the whole chunk alive until the next one is read.
      carry = detach(text.slice(rest));
      if (carry.length > FAST_MAX_LINE || (crlf === undefined && /\r[^]/.test(carry))) return handedOn;
      // What csv-parse has read of the rest must not be an error yet, or it would fail this chunk.
      if (!carryIsSafe(carry, d, crlf)) return handedOn;
      if (pending.length > 0) {
        handedOn += pending.length;
        yield pending;
      }
    }

    // The end: lines held back from the last chunk, then a last record without a line break after it.
    const batch: CsvRecord[] = [];
    const rest = lines(carry, 0, true, batch, Infinity);
    if (rest === -1) return handedOn;
    const tail = carry.slice(rest);
    if (tail !== '') {
      if (tail.includes('\r')) return handedOn;
      const fields = tail.includes('"') ? splitQuoted(tail, d) : tail.split(d);
      if (!fields) return handedOn;
      batch.push({ fields, line, raw: pendingRaw + tail });
    }
    if (batch.length > 0) yield batch;
    return 'complete';
  }

  /** csv-parse over the whole file; records 2 to `handedOn` were handed on by the fast path already. */
  private async *parsed(handedOn: number): AsyncGenerator<CsvRecord[]> {
    const decoder = new TextDecodingStream(this.choice, this.file);
    const parser = parse({
      delimiter: this.delimiter,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      raw: true,
    });
    pipeline(createReadStream(this.file, { highWaterMark: 256 * 1024 }), decoder, parser, () => undefined);
    let seen = 0;
    let batch: CsvRecord[] = [];
    for await (const { record, info: where, raw } of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
      this.encoding = decoder.encoding;
      if (seen++ > 0 && seen <= handedOn) continue;
      batch.push({ fields: record, line: where.lines, raw: raw.replace(/[\r\n]+$/, '') });
      // The header goes on at once, as it always did: whether it was seen before an error is part of a failed run.
      if (seen === 1 || batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }
}

/**
 * Whether csv-parse has met no error yet in the rest of a chunk: lines held back (see LOOKAHEAD), then the start of a
 * line. Only quotes make csv-parse fail; anything unsure answers false, and csv-parse decides.
 */
function carryIsSafe(carry: string, d: string, crlf: boolean | undefined): boolean {
  if (!carry.includes('"')) return true;
  if (crlf === false && carry.includes('\r')) return false;
  const pieces = carry.split('\n');
  const last = pieces.pop() ?? '';
  for (const piece of pieces) {
    const content = crlf ? (piece.endsWith('\r') ? piece.slice(0, -1) : undefined) : piece;
    if (content === undefined || content.includes('\r')) return false;
    if (content.includes('"') && !splitQuoted(content, d)) return false;
  }
  // A CR at the very end may open a CRLF: csv-parse waits for the next byte before it decides anything.
  const partial = crlf !== false && last.endsWith('\r') ? last.slice(0, -1) : last;
  if (partial.includes('\r')) return false;
  return !partial.includes('"') || isLinePrefix(partial, d);
}

/** A copy of a short string cut from a chunk, which a slice of it would keep alive. */
function detach(text: string): string {
  return text === '' ? '' : (' ' + text).slice(1);
}

/** Whether csv-parse, which works on UTF-8 bytes, has its look-ahead after index `at` of the chunk. */
function bytesFollow(text: string, at: number): boolean {
  const after = text.length - at - 1;
  return after >= LOOKAHEAD || Buffer.byteLength(text.slice(at + 1)) >= LOOKAHEAD;
}

/**
 * A line with quotes, split as csv-parse splits it when every quoted field opens at the start of the field and closes
 * on this line right before a delimiter or the line's end (`""` inside being one quote). Anything else — which
 * csv-parse would read across lines or refuse with an error — returns undefined.
 */
function splitQuoted(content: string, d: string): string[] | undefined {
  const fields: string[] = [];
  const n = content.length;
  let i = 0;
  for (;;) {
    if (content.charCodeAt(i) === 34) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = content.indexOf('"', j);
        if (q === -1) return undefined;
        value += content.slice(j, q);
        if (content.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return fields;
      if (content[i] !== d) return undefined;
      i++;
    } else {
      const k = content.indexOf(d, i);
      const field = k === -1 ? content.slice(i) : content.slice(i, k);
      if (field.includes('"')) return undefined;
      fields.push(field);
      if (k === -1) return fields;
      i = k + 1;
    }
  }
}

/**
 * Whether the start of a line, cut at the end of a chunk, is still free of anything csv-parse refuses: quotes only
 * opening a field, and a closed quoted field followed by a delimiter. A quote at the very end may close the field or
 * start `""`: csv-parse waits for the next chunk to decide, and so does this.
 */
function isLinePrefix(text: string, d: string): boolean {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (text.charCodeAt(i) === 34) {
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1 || q === n - 1) return true;
        if (text.charCodeAt(q + 1) === 34) {
          j = q + 2;
          continue;
        }
        if (text[q + 1] !== d) return false;
        i = q + 2;
        break;
      }
    } else {
      const k = text.indexOf(d, i);
      if ((k === -1 ? text.slice(i) : text.slice(i, k)).includes('"')) return false;
      if (k === -1) return true;
      i = k + 1;
    }
  }
  return true;
}

function describeReadError(err: unknown): string {
  const e = err as { code?: string; message?: string; lines?: number };
  if (e.code === 'ENOENT') return '文件不存在';
  if (e.code === 'EACCES') return '没有读取权限';
  if (e.code?.startsWith('CSV_')) return `CSV 格式错误（第 ${e.lines ?? '?'} 行）：${e.message}`;
  return e.message ?? String(err);
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${body}$`, 'i');
}
