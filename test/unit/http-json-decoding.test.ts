import iconv from 'iconv-lite';
import { bodyDecoder, charsetOf } from '../../src/ingest/http-body-decoding';
import { InputError } from '../../src/ingest/source';

/** Decodes `bytes` fed in pieces of `piece` bytes. */
function decode(contentType: string | null, bytes: Uint8Array, piece = bytes.length || 1): { text: string; encoding: string | undefined } {
  const d = bodyDecoder(contentType, 'http://province/api');
  let text = '';
  for (let i = 0; i < bytes.length; i += piece) text += d.write(bytes.subarray(i, i + piece));
  text += d.end();
  return { text, encoding: d.encoding };
}

function failure(contentType: string | null, bytes: Uint8Array, piece?: number): string {
  try {
    decode(contentType, bytes, piece);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('decoded');
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

describe('response body decoding', () => {
  it('reads the charset of a Content-Type', () => {
    expect(charsetOf('application/json')).toBeUndefined();
    expect(charsetOf(null)).toBeUndefined();
    expect(charsetOf('application/json; charset=GBK')).toBe('gbk');
    expect(charsetOf('application/json;charset="utf-8"')).toBe('utf-8');
    expect(charsetOf('application/json; foo=bar; Charset = gb2312 ')).toBe('gb2312');
  });

  it('reads UTF-8 by default and GBK, GB2312 and GB18030 as the charset says, whatever the pieces', () => {
    const text = '{"unit":"宣州区","indicator":"好评率","value":"99.9"}';
    for (const piece of [1, 2, 3, 7, 1000]) {
      expect(decode('application/json', utf8(text), piece)).toEqual({ text, encoding: 'utf-8' });
      expect(decode('application/json; charset=utf-8', utf8(text), piece).text).toBe(text);
      for (const cs of ['gbk', 'GB2312', 'gb18030']) {
        expect(decode(`application/json; charset=${cs}`, iconv.encode(text, 'gbk'), piece)).toEqual({ text, encoding: cs.toLowerCase() });
      }
    }
  });

  it('drops a UTF-8 byte-order mark, and lets it win over a GBK charset', () => {
    const text = '[{"unit":"宁国市"}]';
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(text)]);
    for (const piece of [1, 2, 4, 100]) {
      expect(decode('application/json', withBom, piece)).toEqual({ text, encoding: 'utf-8' });
      expect(decode('application/json; charset=gbk', withBom, piece)).toEqual({ text, encoding: 'utf-8' });
    }
    expect(decode(null, Buffer.alloc(0)).text).toBe('');
    expect(decode(null, utf8('[]')).text).toBe('[]');
  });

  it('fails invalid UTF-8, naming the byte where the broken character starts, wherever the pieces are cut', () => {
    // GBK sent without a charset.
    const gbk = iconv.encode('[{"unit":"abcd","x":"宣州区"}]', 'gbk');
    const at = gbk.indexOf(0xd0) + 1;
    for (const piece of [1, 2, 3, 5, 16, 17, 1000]) {
      const message = failure('application/json', gbk, piece);
      expect(message).toBe(
        `http://province/api：返回内容不是有效的 UTF-8 编码（第 ${at} 字节起）。Content-Type 没有注明字符集，按 UTF-8 读取；若接口实际返回 GBK，应在 Content-Type 中注明 charset=gbk。`,
      );
    }
    // After valid multi-byte characters; a stray continuation byte; an overlong form; a character cut at the end.
    const cases: Array<[Buffer, number]> = [
      [Buffer.concat([utf8('宣州区'), Buffer.from([0xe4, 0xb8, 0x41])]), 10],
      [Buffer.concat([utf8('é'), Buffer.from([0x80])]), 3],
      [Buffer.concat([utf8('ab'), Buffer.from([0xc0, 0xaf])]), 3],
      [Buffer.concat([utf8('"宣'), Buffer.from([0xe5, 0xae])]), 5],
    ];
    for (const [bytes, byte] of cases) {
      for (const piece of [1, 2, 3, 100]) expect(failure(null, bytes, piece)).toContain(`（第 ${byte} 字节起）`);
    }
    expect(failure('application/json; charset=utf-8', Buffer.from([0xff]))).toContain('Content-Type 注明的字符集为 utf-8');
  });

  it('fails a charset it cannot read, naming it', () => {
    expect(() => bodyDecoder('application/json; charset=big5', 'http://province/api')).toThrow(
      'http://province/api：返回内容的字符集“big5”不受支持（Content-Type：application/json; charset=big5），只能读取 UTF-8 与 GBK/GB2312/GB18030',
    );
  });
});
