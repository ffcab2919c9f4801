import { Transform, TransformCallback } from 'node:stream';
import iconv from 'iconv-lite';
import { InputError } from './source';

export type EncodingChoice = 'auto' | 'utf-8' | 'gbk';

/**
 * Decodes a byte stream to text. `auto` reads a byte-order mark if there is one, otherwise takes UTF-8 when the first
 * chunk is valid UTF-8 and GBK (as Excel on Chinese Windows writes it) when it is not. Invalid UTF-8 later in a file
 * declared or detected as UTF-8 is an error naming the byte offset, never a silent replacement character.
 */
export class TextDecodingStream extends Transform {
  /** The encoding used, once the first chunk has been seen. */
  encoding: 'utf-8' | 'utf-16le' | 'gbk' | undefined;
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
    if (first[0] === 0xff && first[1] === 0xfe) return this.textDecoder('utf-16le');
    if (first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf) return this.textDecoder('utf-8');
    if (this.choice === 'gbk' || (this.choice === 'auto' && !isUtf8Prefix(first))) {
      this.encoding = 'gbk';
      // GB18030 is the superset of GBK, so it decodes every file GBK does.
      const decoder = iconv.getDecoder('gb18030');
      return (chunk, last) => decoder.write(chunk) + (last ? (decoder.end() ?? '') : '');
    }
    return this.textDecoder('utf-8');
  }

  private textDecoder(encoding: 'utf-8' | 'utf-16le'): (chunk: Buffer, last: boolean) => string {
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

function isUtf8Prefix(bytes: Buffer): boolean {
  try {
    // `stream: true` tolerates a character cut at the end of the chunk.
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}
