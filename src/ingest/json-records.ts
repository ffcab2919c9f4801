/**
 * Reads the records of a JSON document as its text arrives, one record at a time, keeping every number as the text it
 * was written in.
 *
 * Why stream-json (uhop, pinned at 1.9.1): its tokenizer hands numbers on as their source text (`numberValue` tokens
 * carry a string), it validates the whole grammar, and it keeps no more of the document than the token it is reading.
 * 1.x is its long-stable line. Of the later majors, 2.x hands every token through stream-chain's async generators (an
 * await per token) and 3.x is published as ES modules only, which this CommonJS build and jest cannot load.
 * Its Assembler can keep numbers as strings too, but then a number and a string holding the same digits look alike and
 * a record's raw text would show `"99.5"` where the source wrote `99.5`; the few lines below build records whose
 * numbers stay {@link JsonNumber}s instead.
 *
 * The Parser is a Node Transform stream. It is driven here through its transform hooks (`_transform`, `_flush`) with
 * `push` taken over, so the tokens of a piece of text are handled synchronously as one batch rather than one async
 * stream event each (a 64 MiB body is some ten million tokens), and so a syntax error can be placed: the text is fed
 * in small slices, and the error lies in the slice that raised it.
 */

/** A JSON number as written: 99.99999999999999999 must reach the exact-decimal validator as those digits, not as 100. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
/** An object as a Map: its keys keep the source's order, and `__proto__` or `constructor` are just keys. */
export type JsonObject = Map<string, JsonValue>;

/** The text is not JSON. `position` is the 1-based character from which `excerpt` shows the text near the error. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly detail: string,
    readonly position: number,
    readonly excerpt: string,
    /** The error was found at the end of the text (it may be cut short). */
    readonly atEnd: boolean,
  ) {
    super(
      atEnd && position === 0
        ? '内容为空'
        : `${detail}（约第 ${position} 个字符起：“${excerpt}”${atEnd ? '，内容到此结束' : ''}）`,
    );
    this.name = 'JsonSyntaxError';
  }
}

interface Token {
  name: string;
  value?: string | boolean | null;
}

interface StreamJsonParser {
  _transform(chunk: string, encoding: string, callback: (err?: Error | null) => void): void;
  _flush(callback: (err?: Error | null) => void): void;
  push(token: Token): boolean;
}

// stream-json 1.x ships no type declarations: its Parser is typed here by what this file uses of it.
const Parser = require('stream-json/Parser') as new (options: Record<string, unknown>) => StreamJsonParser;

/** Characters fed to the parser at a time: the precision with which a syntax error is placed. */
const SLICE = 64;
/** stream-json looks up to 16 characters ahead before it declares an error; the excerpt starts that far back. */
const LOOKBEHIND = 16;

/**
 * Finds the array at `recordsPath` (dotted keys, array indexes as numbers; empty for a document that is the array)
 * and returns its elements as they complete. Values elsewhere in the document are checked but not kept.
 */
export class JsonRecordStream {
  private readonly parser: StreamJsonParser;
  private readonly path: string[];
  private tokens: Token[] = [];
  private out: JsonValue[] = [];
  /** Characters fed so far, and the last few of them (for an error's excerpt). */
  private fed = 0;
  private tail = '';
  private state: 'seek' | 'records' | 'done' = 'seek';
  /** While seeking: the containers around the current token. */
  private readonly frames: Array<{ array: boolean; onPath: boolean; key: string | undefined; index: number }> = [];
  /** While reading records: the containers of the record being built, and their pending keys. */
  private readonly building: Array<{ value: JsonValue[] | JsonObject; key: string | undefined }> = [];
  private ended = false;

  constructor(recordsPath: string) {
    this.path = recordsPath === '' ? [] : recordsPath.split('.');
    this.parser = new Parser({ packValues: true, streamValues: false });
    this.parser.push = (token) => {
      this.tokens.push(token);
      return true;
    };
  }

  /** True once the array at `recordsPath` has been seen to begin. */
  get found(): boolean {
    return this.state !== 'seek';
  }

  /** Parses the next piece of text and returns the records it completed. Throws {@link JsonSyntaxError}. */
  write(text: string): JsonValue[] {
    for (let i = 0; i < text.length; i += SLICE) {
      const slice = i === 0 && text.length <= SLICE ? text : text.slice(i, i + SLICE);
      this.parser._transform(slice, 'utf8', (err) => {
        if (err) throw this.syntaxError(err, slice, false);
      });
      this.fed += slice.length;
      this.tail = (this.tail + slice).slice(-LOOKBEHIND);
      this.drain();
    }
    return this.take();
  }

  /** The end of the text: returns the last records. Throws {@link JsonSyntaxError} when the document is incomplete. */
  end(): JsonValue[] {
    if (!this.ended) {
      this.ended = true;
      this.parser._flush((err) => {
        if (err) throw this.syntaxError(err, '', true);
      });
      this.drain();
    }
    return this.take();
  }

  private take(): JsonValue[] {
    const out = this.out;
    if (out.length > 0) this.out = [];
    return out;
  }

  private syntaxError(err: Error, slice: string, atEnd: boolean): JsonSyntaxError {
    this.tokens = [];
    if (atEnd && this.fed === 0) return new JsonSyntaxError(describe(err.message), 0, '', true);
    const start = this.fed - this.tail.length;
    const excerpt = (this.tail + slice).replace(/[\u0000-\u001f\u007f\s]+/g, ' ');
    return new JsonSyntaxError(describe(err.message), start + 1, excerpt, atEnd);
  }

  private drain(): void {
    const tokens = this.tokens;
    if (tokens.length === 0) return;
    this.tokens = [];
    for (const token of tokens) {
      if (this.state === 'records') this.record(token);
      else if (this.state === 'seek') this.seek(token);
      // Once the records are read, the rest of the document is only checked by the parser.
    }
  }

  /** Outside the records: follows the containers until the array at the path begins. */
  private seek(token: Token): void {
    const frames = this.frames;
    const top = frames[frames.length - 1];
    switch (token.name) {
      case 'keyValue':
        top!.key = token.value as string;
        return;
      case 'endObject':
      case 'endArray':
        frames.pop();
        this.valueDone();
        return;
    }
    // A value begins: is it at the path, or on the way there?
    let onPath: boolean;
    let atPath: boolean;
    if (!top) {
      onPath = true;
      atPath = this.path.length === 0;
    } else {
      const depth = frames.length - 1;
      const key = top.array ? String(top.index) : top.key;
      onPath = top.onPath && depth < this.path.length && key === this.path[depth];
      atPath = onPath && depth + 1 === this.path.length;
    }
    if (atPath && token.name === 'startArray') {
      this.state = 'records';
      return;
    }
    if (token.name === 'startObject' || token.name === 'startArray') {
      frames.push({ array: token.name === 'startArray', onPath: onPath && !atPath, key: undefined, index: 0 });
      return;
    }
    this.valueDone();
  }

  private valueDone(): void {
    const top = this.frames[this.frames.length - 1];
    if (top?.array) top.index++;
  }

  /** Inside the records array: builds each element, and hands it on when it is complete. */
  private record(token: Token): void {
    const building = this.building;
    let value: JsonValue;
    switch (token.name) {
      case 'keyValue':
        building[building.length - 1]!.key = token.value as string;
        return;
      case 'startObject':
        building.push({ value: new Map(), key: undefined });
        return;
      case 'startArray':
        building.push({ value: [], key: undefined });
        return;
      case 'endObject':
      case 'endArray':
        if (building.length === 0) {
          // The end of the records array itself.
          this.state = 'done';
          return;
        }
        value = building.pop()!.value;
        break;
      case 'numberValue':
        value = new JsonNumber(token.value as string);
        break;
      case 'stringValue':
        value = token.value as string;
        break;
      case 'trueValue':
        value = true;
        break;
      case 'falseValue':
        value = false;
        break;
      default:
        value = null;
    }
    const parent = building[building.length - 1];
    if (!parent) this.out.push(value);
    else if (Array.isArray(parent.value)) parent.value.push(value);
    else parent.value.set(parent.key!, value);
  }
}

/** The value at a dotted path inside a record (array elements by index), or undefined. */
export function pickJson(value: JsonValue | undefined, dotted: string): JsonValue | undefined {
  if (!dotted) return value;
  let cur = value;
  for (const key of dotted.split('.')) {
    if (cur instanceof Map) cur = cur.get(key);
    else if (Array.isArray(cur)) cur = /^(0|[1-9]\d*)$/.test(key) ? cur[Number(key)] : undefined;
    else return undefined;
  }
  return cur;
}

/** A field as text for validation: numbers as written, strings as they are, nothing as '', structures as JSON. */
export function jsonFieldText(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (value instanceof JsonNumber) return value.text;
  return toJsonText(value);
}

/** Compact JSON text of a value, numbers as the source wrote them. */
export function toJsonText(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof JsonNumber) return value.text;
  let out = '';
  if (Array.isArray(value)) {
    for (const v of value) out += (out ? ',' : '[') + toJsonText(v);
    return out ? `${out}]` : '[]';
  }
  for (const [k, v] of value) out += `${out ? ',' : '{'}${JSON.stringify(k)}:${toJsonText(v)}`;
  return out ? `${out}}` : '{}';
}

/** stream-json's messages, in the words operators read. */
function describe(message: string): string {
  const m = message.replace(/^Parser (cannot parse input: |has )/, '');
  const known: Record<string, string> = {
    'expected a value': '此处应为一个值',
    "unexpected token ']'": '多余的“]”',
    "unexpected token '}'": '多余的“}”',
    'escaped characters': '字符串中有无效的转义或控制字符',
    'expected a string value': '字符串没有结束',
    'expected an object key': '此处应为带引号的键',
    "expected ':'": '此处应为“:”',
    "expected ','": '此处应为“,”或结束括号',
    "expected '}'": '括号不配对，此处应为“}”',
    "expected ']'": '括号不配对，此处应为“]”',
    'expected a starting digit': '数字格式不正确',
    'expected a digit': '数字格式不正确',
    'expected a fractional part of a number': '数字格式不正确（小数点后没有数字）',
    'expected an exponent value of a number': '数字格式不正确（指数不完整）',
    'expected an exponent part of a number': '数字格式不正确（指数不完整）',
    'unexpected characters': 'JSON 结束后还有多余的内容',
  };
  return known[m] ?? message;
}
