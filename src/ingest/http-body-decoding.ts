import iconv from 'iconv-lite';
import { InputError } from './source';

/** Turns a response body into text as its bytes arrive. */
export interface BodyDecoder {
  /** The encoding the body is read in, for the run record; known once the first bytes are seen. */
  readonly encoding: string | undefined;
  write(bytes: Uint8Array): string;
  end(): string;
}

const GB_CHARSETS = new Set(['gbk', 'gb2312', 'gb18030', 'x-gbk', 'cp936']);
const UTF8_CHARSETS = new Set(['utf-8', 'utf8']);

/** The `charset` parameter of a Content-Type, lower-cased, or undefined when there is none. */
export function charsetOf(contentType: string | null | undefined): string | undefined {
  if (!contentType) return undefined;
  for (const param of contentType.split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const value = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').trim().toLowerCase();
    return value || undefined;
  }
  return undefined;
}

/**
 * The decoder for a response with this Content-Type: UTF-8 unless the charset says GBK, GB2312 or GB18030 (read as
 * GB18030, the superset of the other two), as provincial interfaces built on older stacks send. A body that begins with
 * a UTF-8 byte-order mark is UTF-8 whatever the header says (the mark is dropped), as browsers read it too. UTF-8 is
 * decoded strictly: a byte that is not UTF-8 fails the input, naming its offset, and never becomes U+FFFD silently.
 * A charset not in these lists fails the input at once.
 */
export function bodyDecoder(contentType: string | null | undefined, inputName: string): BodyDecoder {
  const charset = charsetOf(contentType);
  if (charset !== undefined && !UTF8_CHARSETS.has(charset) && !GB_CHARSETS.has(charset)) {
    throw new InputError(inputName, `返回内容的字符集“${charset}”不受支持（Content-Type：${contentType}），只能读取 UTF-8 与 GBK/GB2312/GB18030`);
  }
  return new SniffingDecoder(charset, inputName);
}

class SniffingDecoder implements BodyDecoder {
  private inner: BodyDecoder | undefined;
  /** The first bytes, held until there are enough to look for a byte-order mark. */
  private head: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly charset: string | undefined,
    private readonly inputName: string,
  ) {}

  get encoding(): string | undefined {
    return this.inner?.encoding;
  }

  write(bytes: Uint8Array): string {
    if (this.inner) return this.inner.write(bytes);
    this.head = this.head.length === 0 ? bytes : Buffer.concat([this.head, bytes]);
    if (this.head.length < 3) return '';
    return this.choose().write(this.takeHead());
  }

  end(): string {
    if (this.inner) return this.inner.end();
    const head = this.takeHead();
    const inner = this.choose();
    return inner.write(head) + inner.end();
  }

  private takeHead(): Uint8Array {
    const head = this.head;
    this.head = new Uint8Array(0);
    return head;
  }

  private choose(): BodyDecoder {
    const h = this.head;
    const bom = h[0] === 0xef && h[1] === 0xbb && h[2] === 0xbf;
    this.inner =
      this.charset !== undefined && GB_CHARSETS.has(this.charset) && !bom
        ? new GbDecoder(this.charset)
        : new StrictUtf8Decoder(this.inputName, this.charset);
    return this.inner;
  }
}

class GbDecoder implements BodyDecoder {
  private readonly decoder = iconv.getDecoder('gb18030');

  constructor(readonly encoding: string) {}

  write(bytes: Uint8Array): string {
    return this.decoder.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  end(): string {
    return this.decoder.end() ?? '';
  }
}

class StrictUtf8Decoder implements BodyDecoder {
  readonly encoding = 'utf-8';
  // TextDecoder drops a leading byte-order mark itself.
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  /** Bytes before the current chunk, and the last three of them (the start of a character cut by the chunk). */
  private offset = 0;
  private tail: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly inputName: string,
    private readonly charset: string | undefined,
  ) {}

  write(bytes: Uint8Array): string {
    let text: string;
    try {
      text = this.decoder.decode(bytes, { stream: true });
    } catch {
      throw this.invalid(this.offset - this.tail.length + firstBadByte(concat(this.tail, bytes), this.tail.length));
    }
    this.offset += bytes.length;
    this.tail = (bytes.length >= 3 ? bytes : concat(this.tail, bytes)).slice(-3);
    return text;
  }

  end(): string {
    try {
      return this.decoder.decode();
    } catch {
      // The body ends inside a character: it starts at the last lead byte.
      let i = this.tail.length - 1;
      while (i > 0 && (this.tail[i]! & 0xc0) === 0x80) i--;
      throw this.invalid(this.offset - this.tail.length + i);
    }
  }

  private invalid(at: number): InputError {
    const declared = this.charset ? `Content-Type 注明的字符集为 ${this.charset}` : 'Content-Type 没有注明字符集，按 UTF-8 读取';
    return new InputError(
      this.inputName,
      `返回内容不是有效的 UTF-8 编码（第 ${at + 1} 字节起）。${declared}；若接口实际返回 GBK，应在 Content-Type 中注明 charset=gbk。`,
    );
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.length === 0 ? b : Buffer.concat([a, b]);
}

/**
 * The offset in `bytes` of the ill-formed sequence; `bytes` begins with `kept` bytes that decoded before. The shortest
 * prefix the platform's strict decoder rejects ends at the byte that gave it away; when that byte cut short a
 * character begun before it, the sequence starts at that character's lead byte.
 */
function firstBadByte(bytes: Uint8Array, kept: number): number {
  // The kept bytes may begin inside an earlier, complete character: start at a character boundary.
  let start = 0;
  while (start < kept && (bytes[start]! & 0xc0) === 0x80) start++;
  const rejects = (end: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, end), { stream: true });
      return false;
    } catch {
      return true;
    }
  };
  let lo = start + 1;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rejects(mid)) hi = mid;
    else lo = mid + 1;
  }
  const bad = lo - 1;
  let lead = bad - 1;
  while (lead > start && bad - lead < 4 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  const b = lead >= start ? bytes[lead]! : 0;
  const needs = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return b >= 0xc0 && bad - lead < needs ? lead : bad;
}
