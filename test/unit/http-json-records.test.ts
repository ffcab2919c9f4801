import { jsonFieldText, JsonNumber, JsonRecordStream, JsonSyntaxError, JsonValue, pickJson, toJsonText } from '../../src/ingest/json-records';

/** All records of `text` at `path`, fed in pieces of `piece` characters. */
function records(text: string, path: string, piece = text.length || 1): JsonValue[] {
  const stream = new JsonRecordStream(path);
  const out: JsonValue[] = [];
  for (let i = 0; i < text.length; i += piece) out.push(...stream.write(text.slice(i, i + piece)));
  out.push(...stream.end());
  if (!stream.found) throw new Error('not found');
  return out;
}

function syntaxError(text: string, path = ''): JsonSyntaxError {
  try {
    records(text, path);
  } catch (err) {
    if (err instanceof JsonSyntaxError) return err;
    throw err;
  }
  throw new Error('parsed');
}

describe('JSON records, read as the text arrives', () => {
  it('keeps numbers as their source text, and strings as strings', () => {
    const [rec] = records('[{"v":99.99999999999999999,"e":1e-7,"E":-1.50E+2,"z":-0.0,"s":"99.99999999999999999","n":null,"b":true}]', '');
    const field = (key: string) => jsonFieldText(pickJson(rec, key));
    expect(field('v')).toBe('99.99999999999999999');
    expect(field('e')).toBe('1e-7');
    expect(field('E')).toBe('-1.50E+2');
    expect(field('z')).toBe('-0.0');
    expect(pickJson(rec, 's')).toBe('99.99999999999999999');
    expect(pickJson(rec, 'v')).toBeInstanceOf(JsonNumber);
    expect(field('n')).toBe('');
    expect(field('b')).toBe('true');
    // The record's raw text shows the numbers as written, and a string that holds digits still as a string.
    expect(toJsonText(rec!)).toBe('{"v":99.99999999999999999,"e":1e-7,"E":-1.50E+2,"z":-0.0,"s":"99.99999999999999999","n":null,"b":true}');
  });

  it('gives the same records however the text is cut into pieces', () => {
    const text =
      ' {"meta":{"list":[1,2,{"x":[3]}],"note":"不是这里"},"data":{"list":[{"unit":"宣州区","v":12.50e1,"s":"a\\"b\\u00e9"},' +
      '[1,[2,{"k":false}]],"字符串",-3 ,null,{}]},"tail":[true,false,null]}\n';
    const whole = records(text, 'data.list').map(toJsonText);
    expect(whole).toEqual(['{"unit":"宣州区","v":12.50e1,"s":"a\\"bé"}', '[1,[2,{"k":false}]]', '"字符串"', '-3', 'null', '{}']);
    for (let piece = 1; piece <= 20; piece++) expect(records(text, 'data.list', piece).map(toJsonText)).toEqual(whole);
  });

  it('finds the records at the root, under array indexes, and only at the path', () => {
    expect(records('[{"a":1},{"a":2}]', '').map(toJsonText)).toEqual(['{"a":1}', '{"a":2}']);
    expect(records('{"pages":[{"list":[0]},{"list":[7,8]}]}', 'pages.1.list').map(toJsonText)).toEqual(['7', '8']);
    // The same key deeper down, or beside the path, is not the path.
    expect(records('{"x":{"data":{"list":[0]}},"data":{"other":{"list":[1]},"list":[2]}}', 'data.list').map(toJsonText)).toEqual(['2']);
    const missing = new JsonRecordStream('data.list');
    missing.write('{"data":{"list":{"a":1}},"list":[1]}');
    missing.end();
    expect(missing.found).toBe(false);
    const notRoot = new JsonRecordStream('');
    notRoot.write('{"a":[1]}');
    notRoot.end();
    expect(notRoot.found).toBe(false);
  });

  it('hands each record on as soon as it is complete', () => {
    const stream = new JsonRecordStream('list');
    expect(stream.write('{"list":[{"a":1},{"a"')).toEqual([expect.anything()]);
    expect(stream.write(':2}')).toHaveLength(1);
    expect(stream.write(',{"a":3}]}')).toHaveLength(1);
    expect(stream.end()).toEqual([]);
  });

  it('treats keys such as __proto__ as plain keys, and keeps keys in the order written', () => {
    const [rec] = records('[{"__proto__":{"polluted":1},"constructor":"c","2":"two","1":"one"}]', '');
    expect(toJsonText(rec!)).toBe('{"__proto__":{"polluted":1},"constructor":"c","2":"two","1":"one"}');
    expect(jsonFieldText(pickJson(rec, '__proto__.polluted'))).toBe('1');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const [plain] = records('[{"v":"1"}]', '');
    expect(pickJson(plain, 'constructor')).toBeUndefined();
    expect(pickJson(plain, 'toString')).toBeUndefined();
  });

  it('picks dotted fields, and gives nothing for a field that is missing or under a non-object', () => {
    const [rec] = records('[{"org":{"code":"ningguo"},"list":[{"v":5}],"n":7}]', '');
    expect(jsonFieldText(pickJson(rec, 'org.code'))).toBe('ningguo');
    expect(jsonFieldText(pickJson(rec, 'list.0.v'))).toBe('5');
    expect(pickJson(rec, 'list.length')).toBeUndefined();
    expect(pickJson(rec, 'n.text')).toBeUndefined();
    expect(pickJson(rec, 'missing.code')).toBeUndefined();
    expect(jsonFieldText(pickJson(rec, 'org'))).toBe('{"code":"ningguo"}');
    expect(pickJson('text', 'value')).toBeUndefined();
    expect(pickJson(new JsonNumber('1'), 'text')).toBeUndefined();
  });

  it('says what is wrong with text that is not JSON, and about where', () => {
    const html = syntaxError('<html>维护中，请稍后再试</html>');
    expect(html.message).toBe('此处应为一个值（约第 1 个字符起：“<html>维护中，请稍后再试</html>”）');
    expect(syntaxError('<b>维护</b>').message).toBe('此处应为一个值（约第 1 个字符起：“<b>维护</b>”，内容到此结束）');

    const long = `[${'{"v":1},'.repeat(50)}{"v":1,,}]`;
    const err = syntaxError(long);
    expect(err.detail).toBe('此处应为带引号的键');
    const bad = long.indexOf(',,') + 1;
    // The excerpt starts at the reported position, and the error lies within it.
    expect(err.position).toBeLessThanOrEqual(bad + 1);
    expect(long.slice(err.position - 1, err.position - 1 + err.excerpt.length)).toBe(err.excerpt);
    expect(err.position - 1 + err.excerpt.length).toBeGreaterThan(bad);

    expect(syntaxError('').message).toBe('内容为空');
    expect(syntaxError('{"data":{"list":[1,2').message).toContain('内容到此结束');
    expect(syntaxError('[1] x').detail).toBe('JSON 结束后还有多余的内容');
    expect(syntaxError('[01]').detail).toBe('此处应为“,”或结束括号');
    expect(syntaxError('[1.]').detail).toContain('数字格式不正确');
    expect(syntaxError('["a\u0001"]').detail).toBe('字符串中有无效的转义或控制字符');
    expect(syntaxError('{"a":1]').detail).toBe('括号不配对，此处应为“}”');
  });
});
