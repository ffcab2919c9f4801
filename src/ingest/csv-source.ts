import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import type { CsvSourceConfig } from '../config/schema';
import { compactDay, Day } from '../domain/day';
import { detectLayout } from './csv-layout';
import { IngestSource, InputError, RawRecord, SourceReadContext } from './source';
import { TextDecodingStream } from './text-decoding';

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

  private async *readFile(file: string, ctx: SourceReadContext): AsyncIterable<RawRecord> {
    const input = ctx.inputs.length;
    const info: SourceReadContext['inputs'][number] = { name: file };
    ctx.inputs.push(info);
    const decoder = new TextDecodingStream(this.options.encoding, file);
    const parser = parse({
      delimiter: this.options.delimiter,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      raw: true,
    });
    // pipeline() destroys every stage on error, so a broken file never leaves a descriptor open.
    pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), decoder, parser, () => undefined);

    let layout;
    try {
      for await (const { record, info: where, raw } of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
        const line = where.lines;
        const rawText = raw.replace(/[\r\n]+$/, '');
        if (!layout) {
          const detected = detectLayout(record, ctx.catalogue, this.options.format);
          if (!detected.ok) throw new InputError(file, `第 ${line} 行：${detected.message}`);
          layout = detected.layout;
          info.encoding = decoder.encoding;
          info.format = layout.format;
          if (layout.format === 'wide' && layout.ignoredColumns.length > 0) info.ignoredColumns = layout.ignoredColumns;
          continue;
        }
        const malformed = record.length < layout.width ? `只有 ${record.length} 列，表头有 ${layout.width} 列` : undefined;
        if (layout.format === 'long') {
          yield {
            input,
            line,
            raw: rawText,
            unit: record[layout.unit] ?? '',
            indicator: record[layout.indicator] ?? '',
            day: layout.day === null ? null : (record[layout.day] ?? ''),
            value: record[layout.value] ?? '',
            malformed,
          };
        } else {
          const unit = record[layout.unit] ?? '';
          const day = layout.day === null ? null : (record[layout.day] ?? '');
          for (const { column, label } of layout.indicators) {
            yield { input, line, raw: rawText, unit, indicator: label, day, value: record[column] ?? '', malformed };
          }
        }
      }
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(file, describeReadError(err));
    }
    if (!layout) throw new InputError(file, '文件为空，没有表头');
  }
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
