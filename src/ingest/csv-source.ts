import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream';
import type { CsvSourceConfig } from '../config/schema';
import { compactDay, Day } from '../domain/day';
import { CsvLayout, detectLayout } from './csv-layout';
import { CsvRow, CsvRowReader } from './csv-rows';
import { IngestSource, InputError, InputInfo, PercentScale, RawRecord, SourceReadContext } from './source';
import { TextDecodingStream } from './text-decoding';

/** A source's settings; what is left out takes the configuration's default. */
type CsvOptions = Pick<CsvSourceConfig, 'name' | 'path'> &
  Partial<Pick<CsvSourceConfig, 'pattern' | 'encoding' | 'layout' | 'delimiter' | 'percentScale' | 'maxLineLength'>>;

/** A drop folder (one or more files per day, chosen by `pattern`) or a single file. */
export class CsvSource implements IngestSource {
  readonly name: string;
  readonly percentScale: PercentScale;

  constructor(private readonly options: CsvOptions) {
    this.name = options.name;
    this.percentScale = options.percentScale ?? 'auto';
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
    const pattern = (this.options.pattern ?? '*').replaceAll('{day}', day).replaceAll('{yyyymmdd}', compactDay(day));
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
    const info: InputInfo = { name: file };
    ctx.inputs.push(info);
    const decoder = new TextDecodingStream(this.options.encoding ?? 'auto', file);
    // pipeline() destroys every stage on error or early exit, so a broken file never leaves a descriptor open.
    pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), decoder, () => undefined);
    const rows = new CsvRowReader(this.options.delimiter ?? ',', this.options.maxLineLength ?? DEFAULT_MAX_LINE);
    let reader: RowRecords | undefined;
    try {
      let batch: CsvRow[] = [];
      for await (const text of decoder as AsyncIterable<string>) {
        info.encoding ??= decoder.encoding;
        rows.push(text, batch);
        if (batch.length === 0) continue;
        reader ??= this.header(batch, file, ctx, info);
        const out = reader.records(batch, input);
        batch = [];
        if (out.length > 0) yield out;
      }
      rows.end(batch);
      if (batch.length > 0) {
        reader ??= this.header(batch, file, ctx, info);
        const out = reader.records(batch, input);
        if (out.length > 0) yield out;
      }
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(file, describeReadError(err));
    }
    if (!reader) throw new InputError(file, '文件为空，没有表头');
    reader.finish(info);
  }

  /** Takes the header off the first rows (removing it from `batch`) and decides the layout. */
  private header(batch: CsvRow[], file: string, ctx: SourceReadContext, info: InputInfo): RowRecords {
    const first = batch.shift()!;
    if (first.kind === 'fault') throw new InputError(file, `第 ${first.line} 行（表头）：${first.fault === 'line_too_long' ? '超过长度上限' : '引号未闭合'}`);
    const detected = detectLayout(first.fields, ctx.catalogue, this.options.layout ?? 'auto');
    if (!detected.ok) throw new InputError(file, `第 ${first.line} 行：${detected.message}`);
    info.layout = detected.layout.layout;
    return new RowRecords(detected.layout, first.fields);
  }
}

const DEFAULT_MAX_LINE = 65_536;

/**
 * Turns the rows after the header into records, one per value cell, and counts every cell: read, or in an ignored
 * column. A row whose structure is broken gives a rejected record for each value cell its header declares, so that
 * the count of cells never depends on what a broken row happened to hold.
 */
class RowRecords {
  private rows = 0;
  private readonly valueColumns: Array<{ column: number; indicator: string | null; header: string }>;
  private readonly ignoredCells: number[];

  constructor(
    private readonly layout: CsvLayout,
    private readonly header: string[],
  ) {
    this.valueColumns =
      layout.layout === 'long'
        ? [{ column: layout.value, indicator: null, header: header[layout.value]!.trim() }]
        : layout.indicators.map((c) => ({ column: c.column, indicator: c.label, header: c.label }));
    this.ignoredCells = layout.ignored.map(() => 0);
  }

  records(rows: CsvRow[], input: number): RawRecord[] {
    const out: RawRecord[] = [];
    const l = this.layout;
    for (const row of rows) {
      this.rows++;
      const raw = row.raw.includes('\0') ? row.raw.replaceAll('\0', '␀') : row.raw;
      if (row.kind === 'fault') {
        const message = row.fault === 'line_too_long' ? `该行超过长度上限（maxLineLength），未读取` : '引号未闭合：从该行开始的引号直到文件末尾或 100 行内都没有闭合，该行未读取';
        this.broken(out, { input, line: row.line, raw }, { reason: row.fault, message });
        continue;
      }
      const f = row.fields;
      const extra = f.length > l.width && f.slice(l.width).some((c) => c.trim() !== '');
      if (f.length < l.width || extra) {
        this.broken(out, { input, line: row.line, raw }, { reason: 'cell_count', message: `该行有 ${f.length} 个单元格，表头有 ${l.width} 个；各列无法对应，整行未采用` });
        continue;
      }
      this.ignoredCells.forEach((_, k) => this.ignoredCells[k]!++);
      const unit = f[l.unit]!;
      const day = l.day === null ? null : f[l.day]!;
      const keyFault = unit.includes('\0') || (day !== null && day.includes('\0'));
      for (const c of this.valueColumns) {
        const value = f[c.column]!;
        const record: RawRecord = {
          input,
          line: row.line,
          raw,
          unit: keyFault ? unit.replaceAll('\0', '␀') : unit,
          indicator: c.indicator ?? (l.layout === 'long' ? f[l.indicator]! : ''),
          day,
          value,
          column: c.header,
        };
        if (keyFault || value.includes('\0') || record.indicator.includes('\0')) {
          record.fault = { reason: 'nul_byte', message: keyFault ? '单位或日期含空字符（NUL），整行未采用' : `“${c.header}”列的单元格含空字符（NUL）` };
          record.value = value.replaceAll('\0', '␀');
          record.indicator = record.indicator.replaceAll('\0', '␀');
          record.day = day && day.replaceAll('\0', '␀');
        }
        out.push(record);
      }
    }
    return out;
  }

  /** The header's value cells of a broken row, each rejected; its ignored cells still counted as ignored. */
  private broken(out: RawRecord[], at: Pick<RawRecord, 'input' | 'line' | 'raw'>, fault: NonNullable<RawRecord['fault']>): void {
    this.ignoredCells.forEach((_, k) => this.ignoredCells[k]!++);
    for (const c of this.valueColumns) out.push({ ...at, unit: '', indicator: c.indicator ?? '', day: null, value: '', column: c.header, fault });
  }

  finish(info: InputInfo): void {
    info.cells = this.rows * (this.valueColumns.length + this.layout.ignored.length);
    if (this.layout.ignored.length > 0) {
      info.ignoredColumns = this.layout.ignored.map((c, k) => ({
        column: c.column + 1,
        header: c.header,
        reason: c.reason,
        message: c.message,
        ...(c.suggestion ? { suggestion: c.suggestion } : {}),
        cells: this.ignoredCells[k]!,
      }));
    }
  }
}

function describeReadError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === 'ENOENT') return '文件不存在';
  if (e.code === 'EACCES') return '没有读取权限';
  if (e.code === 'EISDIR') return '是目录，不是文件';
  // Anything else is not for a county office to read as it is (a stack, a system message): said plainly, logged whole.
  return `读取文件时出错（${e.code ?? e.message ?? String(err)}）`;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${body}$`, 'i');
}
