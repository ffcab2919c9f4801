/**
 * A fast reader for the plain YAML a large catalogue is written in: block mappings and sequences, one-line flow
 * collections (`[a, b]`, `{ name: x, email: y }`), and strings (plain, or quoted on one line without escapes), with
 * comments and blank lines anywhere. It gives the same data as the yaml package and the same line for every key
 * path as yaml-file.ts's `lineOf`, at a fraction of the time and memory (the yaml package builds a node, a token and a
 * range for every scalar: 50,000 units took seconds and hundreds of MB).
 *
 * Anything outside that subset makes it give up (undefined), and the caller reads the file with the yaml package, as
 * it always did: anchors and aliases, tags, directives and document markers, block scalars (`|`, `>`), multi-line or
 * escaped strings, flow collections over several lines, explicit or quoted keys, a key repeated, an empty value, a
 * scalar the core schema reads as other than a string (`42`, `true`, `null`, `~`), tabs, control characters, a BOM.
 * So it never decides what a file means differently, and YAML errors keep the yaml package's messages; what it
 * accepts costs one pass over the text.
 */

/**
 * Where each node is: a line (a scalar, or a collection written on one line, since everything in it is on that line),
 * or a collection's line and its children's positions.
 */
type Pos = number | MapPos | SeqPos;
interface MapPos {
  line: number;
  keys: Record<string, Pos>;
}
interface SeqPos {
  line: number;
  items: Pos[];
}

export interface PlainYaml {
  data: unknown;
  /** The line of the deepest node along the path that exists (as yaml-file.ts's lineOf). */
  line(keyPath: ReadonlyArray<PropertyKey>): number;
}

/** What the core schema reads as null, a boolean or a number (the yaml package's own tests); such a scalar is not plain. */
const NOT_A_STRING = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];

/** Tabs, control characters, the byte-order mark and non-characters, Unicode line separators; and a CR not before LF. */
const UNSUPPORTED = /[\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;
const LONE_CR = /\r(?!\n)/;

/** Characters a plain scalar may not start with: YAML's indicators. */
const INDICATORS = new Set('-?:,[]{}#&*!|>\'"%@`'.split('').map((c) => c.charCodeAt(0)));

const SPACE = 32;
const HASH = 35;
const COLON = 58;
const DASH = 45;
const DQUOTE = 34;
const SQUOTE = 39;
const LBRACKET = 91;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;
const COMMA = 44;

const GIVE_UP: unique symbol = Symbol('not plain YAML');
function giveUp(): never {
  throw GIVE_UP;
}

/** The file's data and lines, or undefined when the file is not in the plain subset (read it with the yaml package). */
export function parsePlainYaml(text: string): PlainYaml | undefined {
  if (UNSUPPORTED.test(text) || (text.includes('\r') && LONE_CR.test(text))) return undefined;
  let data: unknown;
  try {
    data = new Reader(text, false).document().value;
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
  // Lines are wanted only for a problem: the first asks for them, and the text is read again to note every node's.
  let pos: Pos | undefined;
  return { data, line: (keyPath) => lineIn((pos ??= new Reader(text, true).document().pos), keyPath) };
}

function lineIn(root: Pos, keyPath: ReadonlyArray<PropertyKey>): number {
  let at = root;
  for (const key of keyPath) {
    if (typeof at === 'number') return at;
    let next: Pos | undefined;
    if ('keys' in at) {
      // A map's keys are identifiers (strings): a number or a symbol names none of them.
      next = typeof key === 'string' && Object.hasOwn(at.keys, key) ? at.keys[key] : undefined;
    } else {
      // As the yaml package finds a sequence's item: a non-negative integer, or a non-empty string of one.
      const index = typeof key === 'string' && key !== '' ? Number(key) : key;
      next = typeof index === 'number' && Number.isInteger(index) && index >= 0 ? at.items[index] : undefined;
    }
    if (next === undefined) return at.line;
    at = next;
  }
  return typeof at === 'number' ? at : at.line;
}

/** Every scalar the core schema reads as other than a string is empty or starts with one of these. */
const MAYBE_NOT_A_STRING = new Set('~nNtTfF0123456789+-.'.split('').map((c) => c.charCodeAt(0)));

function isString(s: string): boolean {
  if (s !== '' && !MAYBE_NOT_A_STRING.has(s.charCodeAt(0))) return true;
  for (const re of NOT_A_STRING) if (re.test(s)) return false;
  return true;
}

class Reader {
  /** Start of the next line to read. */
  private next = 0;
  private nextLine = 1;
  /** The current significant line (neither blank nor only a comment): number, indentation, content start and end. */
  private line = 0;
  private indent = 0;
  private start = 0;
  private end = 0;
  private eof = false;
  /** Where the value just read is (its position), and in a line, the index after it. */
  private pos: Pos = 0;
  private at = 0;

  /** Keys read so far: a key is compared with these before a new string is made of it. */
  private readonly keyNames: string[] = [];
  /** The last value read under each of those keys (the same index), likewise: many repeat (a kind, a parent, a role). */
  private readonly lastValues: Array<string | undefined> = [];
  /** The index in keyNames of the key just read, or -1. */
  private keySlot = -1;

  /** Only with `positions` is each node's position noted (this.pos); without, it stays 0. */
  constructor(
    private readonly text: string,
    private readonly positions: boolean,
  ) {}

  document(): { value: unknown; pos: Pos } {
    this.advance();
    if (this.eof || this.indent !== 0) giveUp();
    const value = this.blockMap(0, this.start);
    if (!this.eof) giveUp();
    return { value, pos: this.pos };
  }

  /** Moves to the next line that holds something, skipping blank lines and comment lines. */
  private advance(): void {
    const text = this.text;
    while (this.next < text.length) {
      const from = this.next;
      const nl = text.indexOf('\n', from);
      const lineEnd = nl < 0 ? text.length : nl;
      let end = lineEnd;
      if (end > from && text.charCodeAt(end - 1) === 13) end--;
      let i = from;
      while (i < end && text.charCodeAt(i) === SPACE) i++;
      const line = this.nextLine++;
      this.next = nl < 0 ? text.length : nl + 1;
      if (i === end || text.charCodeAt(i) === HASH) continue;
      this.line = line;
      this.indent = i - from;
      this.start = i;
      this.end = end;
      return;
    }
    this.eof = true;
  }

  private isDash(): boolean {
    return this.text.charCodeAt(this.start) === DASH && (this.start + 1 === this.end || this.text.charCodeAt(this.start + 1) === SPACE);
  }

  /** The end of an identifier key at `at` if `key:` follows (then a space or the line's end), else -1. */
  private keyEnd(at: number): number {
    const text = this.text;
    let i = at;
    const c0 = text.charCodeAt(i);
    if (!((c0 >= 97 && c0 <= 122) || (c0 >= 65 && c0 <= 90) || c0 === 95)) return -1;
    i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95) i++;
      else break;
    }
    // The yaml package refuses an implicit key longer than 1024 characters.
    if (i >= this.end || text.charCodeAt(i) !== COLON || i - at > 1024) return -1;
    if (i + 1 < this.end && text.charCodeAt(i + 1) !== SPACE) return -1;
    return i;
  }

  /**
   * The key from `at` to `end`, if it is a string to the core schema (`null:` or `true:` is not). The same few keys
   * recur on every entry, so each is made a string and checked once.
   */
  private key(at: number, end: number): string {
    const length = end - at;
    const names = this.keyNames;
    for (let k = 0; k < names.length; k++) {
      const name = names[k]!;
      if (name.length === length && this.text.startsWith(name, at)) {
        this.keySlot = k;
        return name;
      }
    }
    const name = this.text.slice(at, end);
    if (name === '__proto__' || !isString(name)) giveUp();
    this.keySlot = names.length < 64 ? names.push(name) - 1 : -1;
    return name;
  }

  /** The text from `from` to `to`: the last value under the same key if it is that text, else a new string. */
  private value(from: number, to: number, slot: number): string {
    if (slot < 0) return this.text.slice(from, to);
    const last = this.lastValues[slot];
    if (last !== undefined && last.length === to - from && this.text.startsWith(last, from)) return last;
    const s = this.text.slice(from, to);
    this.lastValues[slot] = s;
    return s;
  }

  private skipSpaces(i: number): number {
    while (i < this.end && this.text.charCodeAt(i) === SPACE) i++;
    return i;
  }

  /** A block mapping whose entries are at `indent`; the first begins at `at` on the current line. */
  private blockMap(indent: number, at: number): Record<string, unknown> {
    const value: Record<string, unknown> = {};
    const keys: Record<string, Pos> | undefined = this.positions ? {} : undefined;
    const line = this.line;
    for (;;) {
      const keyEnd = this.keyEnd(at);
      if (keyEnd < 0) giveUp();
      const key = this.key(at, keyEnd);
      if (Object.hasOwn(value, key)) giveUp();
      const i = this.skipSpaces(keyEnd + 1);
      let child: unknown;
      if (i === this.end || this.text.charCodeAt(i) === HASH) {
        // The value is on the following lines: a nested collection, or a sequence at the key's own indentation.
        this.advance();
        if (this.eof) giveUp();
        if (this.indent > indent) child = this.isDash() ? this.blockSeq(this.indent) : this.blockMap(this.indent, this.start);
        else if (this.indent === indent && this.isDash()) child = this.blockSeq(indent);
        else giveUp();
      } else {
        child = this.inline(i, this.keySlot);
        this.advance();
      }
      value[key] = child;
      if (keys) keys[key] = this.pos;
      if (this.eof || this.indent < indent) break;
      if (this.indent > indent) giveUp();
      at = this.start;
    }
    if (keys) this.pos = { line, keys };
    return value;
  }

  /** A block sequence whose dashes are at `indent`, the current line the first. */
  private blockSeq(indent: number): unknown[] {
    const value: unknown[] = [];
    const items: Pos[] | undefined = this.positions ? [] : undefined;
    const line = this.line;
    for (;;) {
      const i = this.skipSpaces(this.start + 1);
      if (i === this.end || this.text.charCodeAt(i) === HASH) giveUp();
      if (this.text.charCodeAt(i) === DASH && (i + 1 === this.end || this.text.charCodeAt(i + 1) === SPACE)) giveUp();
      if (this.keyEnd(i) >= 0) {
        value.push(this.blockMap(i - (this.start - this.indent), i));
      } else {
        value.push(this.inline(i, -1));
        this.advance();
      }
      items?.push(this.pos);
      if (this.eof || this.indent < indent) break;
      if (this.indent === indent) {
        if (this.isDash()) continue;
        break;
      }
      giveUp();
    }
    if (items) this.pos = { line, items };
    return value;
  }

  /**
   * A value that is all on the current line from `i`: a scalar or a flow collection, then at most a comment. Its
   * position is the line: whatever a key path reaches inside it is on that line too.
   */
  private inline(i: number, slot: number): unknown {
    const text = this.text;
    const c = text.charCodeAt(i);
    if (this.positions) this.pos = this.line;
    let value: unknown;
    if (c === DQUOTE || c === SQUOTE) {
      value = this.quoted(i, slot);
    } else if (c === LBRACKET || c === LBRACE) {
      value = this.flow(i);
    } else {
      if (INDICATORS.has(c)) giveUp();
      // Up to a comment (a # after a space) or the line's end, trailing spaces dropped.
      let end = i + 1;
      while (end < this.end && !(text.charCodeAt(end) === HASH && text.charCodeAt(end - 1) === SPACE)) end++;
      while (end > i && text.charCodeAt(end - 1) === SPACE) end--;
      const s = this.value(i, end, slot);
      if (s.includes(': ') || s.endsWith(':') || !isString(s)) giveUp();
      return s;
    }
    const after = this.at;
    const rest = this.skipSpaces(after);
    if (rest < this.end && !(rest > after && text.charCodeAt(rest) === HASH)) giveUp();
    return value;
  }

  /** A quoted string closed on the same line, without escapes; `at` is left after the closing quote. */
  private quoted(i: number, slot: number): string {
    const text = this.text;
    if (text.charCodeAt(i) === DQUOTE) {
      const close = text.indexOf('"', i + 1);
      if (close < 0 || close >= this.end) giveUp();
      const s = this.value(i + 1, close, slot);
      if (s.includes('\\')) giveUp();
      this.at = close + 1;
      return s;
    }
    let k = i + 1;
    for (;;) {
      const q = text.indexOf("'", k);
      if (q < 0 || q >= this.end) giveUp();
      if (q + 1 < this.end && text.charCodeAt(q + 1) === SQUOTE) {
        k = q + 2;
        continue;
      }
      this.at = q + 1;
      const s = text.slice(i + 1, q);
      return k === i + 1 ? s : s.replaceAll("''", "'");
    }
  }

  /** A flow sequence or mapping closed on the same line; `at` is left after its closing bracket. */
  private flow(i: number): unknown {
    const text = this.text;
    const seq = text.charCodeAt(i) === LBRACKET;
    const close = seq ? RBRACKET : RBRACE;
    const list: unknown[] | undefined = seq ? [] : undefined;
    const map: Record<string, unknown> | undefined = seq ? undefined : {};
    i = this.skipSpaces(i + 1);
    if (i < this.end && text.charCodeAt(i) === close) {
      this.at = i + 1;
      return list ?? map;
    }
    for (;;) {
      if (list) {
        list.push(this.flowItem(i, -1));
      } else if (map) {
        const keyEnd = this.keyEnd(i);
        if (keyEnd < 0 || keyEnd + 1 >= this.end) giveUp();
        const key = this.key(i, keyEnd);
        if (Object.hasOwn(map, key)) giveUp();
        map[key] = this.flowItem(this.skipSpaces(keyEnd + 1), this.keySlot);
      }
      i = this.skipSpaces(this.at);
      if (i >= this.end) giveUp();
      const c = text.charCodeAt(i);
      if (c === close) {
        this.at = i + 1;
        return list ?? map;
      }
      if (c !== COMMA) giveUp();
      i = this.skipSpaces(i + 1);
      if (i >= this.end || text.charCodeAt(i) === close) giveUp();
    }
  }

  /** One item of a flow collection: a quoted or plain string, or a nested flow collection; `at` is left after it. */
  private flowItem(i: number, slot: number): unknown {
    if (i >= this.end) giveUp();
    const text = this.text;
    const c = text.charCodeAt(i);
    if (c === DQUOTE || c === SQUOTE) return this.quoted(i, slot);
    if (c === LBRACKET || c === LBRACE) return this.flow(i);
    if (INDICATORS.has(c)) giveUp();
    let j = i;
    while (j < this.end) {
      const d = text.charCodeAt(j);
      if (d === COMMA || d === LBRACKET || d === RBRACKET || d === LBRACE || d === RBRACE || d === COLON) break;
      if (d === HASH && text.charCodeAt(j - 1) === SPACE) giveUp();
      j++;
    }
    if (j >= this.end || text.charCodeAt(j) === COLON) giveUp();
    let end = j;
    while (end > i && text.charCodeAt(end - 1) === SPACE) end--;
    const s = this.value(i, end, slot);
    if (!isString(s)) giveUp();
    this.at = j;
    return s;
  }
}
