import { Transform, TransformCallback } from 'node:stream';
import iconv from 'iconv-lite';
import { InputError } from './source';

export type EncodingChoice = 'auto' | 'utf-8' | 'gbk';

/**
 * Decodes a byte stream to text. A byte-order mark, or the zero bytes of UTF-16 without one, decide the encoding (see
 * `sniff`); otherwise `auto` takes UTF-8 when the first chunk is valid UTF-8 and GBK (as Excel on Chinese Windows
 * writes it) when it is not. Invalid UTF-8 later in a file declared or detected as UTF-8 is an error naming the byte
 * offset, never a silent replacement character.
 */
export class TextDecodingStream extends Transform {
  /** The encoding used, once the first chunk has been seen. */
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'gbk' | undefined;
  private decode: ((chunk: Buffer, last: boolean) => string) | undefined;
  private offset = 0;

  constructor(
    private readonly choice: EncodingChoice,
    private readonly inputName: string,
  ) {
    // Object mode on the readable side hands strings on as they are, without a round trip through Buffer. Nothing is
    // decoded ahead of the reader (the default would hold 16 chunks): a decoded chunk is a large string, and V8 moves a
    // large string that is still alive at a young collection straight into the old heap, where chunks read ahead pile
    // up as garbage (tens of MB on a big file) until a full collection. The bytes still wait in the file stream.
    super({ decodeStrings: true, readableObjectMode: true, readableHighWaterMark: 0 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      if (!this.decode) this.decode = this.pick(chunk);
      const text = this.decode(chunk, false);
      this.offset += chunk.length;
      done(null, text);
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      done(null, this.decode ? this.decode(Buffer.alloc(0), true) : '');
    } catch (err) {
      done(err as Error);
    }
  }

  private pick(first: Buffer): (chunk: Buffer, last: boolean) => string {
    const sniffed = sniff(first);
    if (sniffed.kind === 'not-text') throw new InputError(this.inputName, sniffed.message);
    if (sniffed.kind === 'utf-16le' || sniffed.kind === 'utf-16be' || sniffed.kind === 'utf-8-bom') {
      return this.textDecoder(sniffed.kind === 'utf-8-bom' ? 'utf-8' : sniffed.kind);
    }
    if (this.choice === 'gbk' || (this.choice === 'auto' && !isUtf8Prefix(first))) {
      this.encoding = 'gbk';
      // GB18030 is the superset of GBK, so it decodes every file GBK does.
      const decoder = iconv.getDecoder('gb18030');
      return (chunk, last) => decoder.write(chunk) + (last ? (decoder.end() ?? '') : '');
    }
    return this.textDecoder('utf-8');
  }

  private textDecoder(encoding: 'utf-8' | 'utf-16le' | 'utf-16be'): (chunk: Buffer, last: boolean) => string {
    this.encoding = encoding;
    // TextDecoder drops the byte-order mark itself.
    const decoder = new TextDecoder(encoding, { fatal: true });
    return (chunk, last) => {
      try {
        return decoder.decode(chunk, { stream: !last });
      } catch {
        throw new InputError(
          this.inputName,
          `不是有效的 ${encoding.toUpperCase()} 编码（约第 ${this.offset + 1} 字节起）。若文件由 Excel 另存为 CSV，请在数据源配置中设置 encoding: gbk，或重新保存为 UTF-8。`,
        );
      }
    };
  }
}

type Sniffed = { kind: 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'unknown' } | { kind: 'not-text'; message: string };

const SAVE_AS_CSV = '请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”或“CSV（逗号分隔）”后再提交。';

/**
 * What the first bytes of a file say it is. Excel's "Unicode text" is UTF-16 with a byte-order mark, but other tools
 * write it without one: ASCII characters (digits, commas, line breaks) then show as a zero byte beside each one. A
 * workbook, a PDF or other binary content is refused in words a person can act on, not read as garbage rows.
 */
export function sniff(first: Buffer): Sniffed {
  if (first[0] === 0xff && first[1] === 0xfe) return { kind: 'utf-16le' };
  if (first[0] === 0xfe && first[1] === 0xff) return { kind: 'utf-16be' };
  if (first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf) return { kind: 'utf-8-bom' };
  if (first.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
    return { kind: 'not-text', message: `不是 CSV 文件：这是 Excel 工作簿（.xlsx）或压缩包。${SAVE_AS_CSV}` };
  }
  if (first.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) {
    return { kind: 'not-text', message: `不是 CSV 文件：这是旧版 Excel 工作簿（.xls）。${SAVE_AS_CSV}` };
  }
  if (first.subarray(0, 5).toString('latin1') === '%PDF-') return { kind: 'not-text', message: '不是 CSV 文件：这是 PDF 文件。请提交 CSV 格式的数据文件。' };
  const sample = first.subarray(0, 4096);
  const pairs = Math.floor(sample.length / 2);
  let zeroEven = 0;
  let zeroOdd = 0;
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const b = sample[i]!;
    if (b === 0) {
      if (i % 2 === 0) zeroEven++;
      else zeroOdd++;
    } else if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12) {
      control++;
    }
  }
  if (pairs >= 4) {
    if (zeroOdd >= pairs * 0.3 && zeroEven <= pairs * 0.05) return { kind: 'utf-16le' };
    if (zeroEven >= pairs * 0.3 && zeroOdd <= pairs * 0.05) return { kind: 'utf-16be' };
  }
  // A stray NUL in one cell is that row's fault; a file made of them is not text.
  if (sample.length >= 16 && zeroEven + zeroOdd + control > sample.length * 0.1) {
    return { kind: 'not-text', message: '不是 CSV 文件：文件含有大量二进制内容（不是文本）。请提交 CSV 格式的数据文件。' };
  }
  return { kind: 'unknown' };
}

function isUtf8Prefix(bytes: Buffer): boolean {
  try {
    // `stream: true` tolerates a character cut at the end of the chunk.
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}
