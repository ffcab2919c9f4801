import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../../src/config/load-config';
import { parsePlainYaml } from '../../src/config/plain-yaml';

const shipped = path.dirname(DEFAULT_CONFIG_PATH);

/** What the yaml package makes of a text, and the line yaml-file.ts gives a key path (its lineOf, repeated here). */
function reference(text: string) {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const line = (keyPath: ReadonlyArray<PropertyKey>) => {
    for (let n = keyPath.length; n >= 0; n--) {
      const node = doc.getIn(keyPath.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
    }
    return undefined;
  };
  let data: unknown;
  try {
    data = doc.errors.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;
  } catch {
    data = undefined;
  }
  return { ok: doc.errors.length === 0 && data !== undefined, data, line };
}

/** Every key path in a value, and beside each a few that do not exist (a missing key, an index past the end, a step into a string). */
function keyPaths(value: unknown, at: PropertyKey[] = []): PropertyKey[][] {
  const out: PropertyKey[][] = [at, [...at, 'missing'], [...at, 99], [...at, '0'], [...at, 0, 'name']];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...keyPaths(v, [...at, i])));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) out.push(...keyPaths(v, [...at, k]));
  return out;
}

/** If the plain reader takes the text, it must read it as the yaml package does, and place every key path on the same line. */
function expectSameAsYamlPackage(text: string): boolean {
  const plain = parsePlainYaml(text);
  if (!plain) return false;
  const ref = reference(text);
  expect(ref.ok).toBe(true);
  expect(plain.data).toEqual(ref.data);
  // toEqual ignores key order; zod and JSON.stringify (the sync) do not.
  expect(JSON.stringify(plain.data)).toBe(JSON.stringify(ref.data));
  for (const p of keyPaths(plain.data)) expect([p, plain.line(p)]).toEqual([p, ref.line(p)]);
  return true;
}

describe('the plain YAML reader', () => {
  it('reads the shipped units.yaml as the yaml package does', () => {
    expect(expectSameAsYamlPackage(readFileSync(path.join(shipped, 'units.yaml'), 'utf8'))).toBe(true);
  });

  it.each([
    ['a sequence at its key’s indentation', 'units:\n- code: a\n  name: b\n- code: c\n'],
    ['a deeper sequence, several spaces after the dash', 'units:\n    -    code: a\n         name: b\n    -    code: c\n'],
    ['comments everywhere', '# head\nunits: # after a key\n  # between\n  - code: a # after a value\n#at column 0\n    name: "b" # after a quote\n        # deeper\n    aliases: [x, y] # after a flow\n'],
    ['a # inside a value', 'a: b#c\nd: "e # f"\ng: \'h #i\'\n'],
    ['blank lines and CRLF', 'units:\r\n\r\n  - code: a\r\n\r\n    name: b\r\n'],
    ['quotes', 'a: "x y"\nb: \'it\'\'s\'\nc: ""\nd: \'\'\ne: "42"\nf: \'true\'\n'],
    ['flow collections', 'a: [x, "y", \'z\', [u, v], {k: w}]\nb: { name: 市局, email: a@b.cn }\nc: []\nd: {}\ne: [ 宣州区 ,  郎溪县 ]\n'],
    ['values with inner colons, dashes and brackets', 'a: http://x.cn/y\nb: 0563-1234567\nc: a - b\nd: a [b] {c}\ne: a, b\nf: 12345 按时办结率\n'],
    ['nested block collections', 'a:\n  b:\n    - c\n    - d: e\n      f:\n      - g\n  h: i\n'],
    ['blanks that are not YAML whitespace', 'a: 郎溪县\u3000\nb: \u00a0x\u00a0\nc: "\u3000"\n'],
    ['scalars the core schema reads as strings', 'a: 0x\nb: 1.2.3\nc: nul\nd: True1\ne: .5x\nf: 0o9\ng: +x\nh: ~x\n'],
  ])('%s', (_, text) => {
    expect(expectSameAsYamlPackage(text)).toBe(true);
  });

  it.each([
    ['an anchor and an alias', 'a: &x [1]\nb: *x\n'],
    ['a number', 'a: 42\n'],
    ['a boolean', 'a: true\n'],
    ['an empty value', 'a:\nb: c\n'],
    ['null', 'a: ~\n'],
    ['a repeated key', 'a: x\na: y\n'],
    ['a tag', 'a: !!str x\n'],
    ['a block scalar', 'a: |\n  x\n'],
    ['a multi-line plain scalar', 'a: x\n  y\n'],
    ['a value on the next line', 'a:\n  x\n'],
    ['a flow collection over two lines', 'a: [x,\n  y]\n'],
    ['an escape', 'a: "x\\ty"\n'],
    ['a tab', 'a:\tx\n'],
    ['a BOM', '\ufeffa: x\n'],
    ['a document marker', '---\na: x\n'],
    ['a mapping in a compact value', 'a: b: c\n'],
    ['a quoted key', '"a": x\n'],
    ['a key with a space before its colon', 'a : x\n'],
    ['a bare dash', 'a:\n  -\n    b: c\n'],
    ['a mis-indented key', 'a:\n    b: c\n  d: e\n'],
    ['a pair in a flow sequence', 'a: [b: c]\n'],
    ['a trailing comma', 'a: [b, c,]\n'],
    ['text after a quote', 'a: "b" c\n'],
    ['a __proto__ key', '__proto__: x\n'],
    ['only comments', '# nothing\n'],
    ['a top-level sequence', '- a\n- b\n'],
  ])('gives up on %s (the yaml package reads it)', (_, text) => {
    expect(parsePlainYaml(text)).toBeUndefined();
  });

  // Random documents written in random styles, and then broken at random: whatever the plain reader takes, it takes
  // as the yaml package does.
  const tricky = fc.constantFrom(...'abcxyz宣州郎溪县 　#:-,[]{}"\'&*!|>%@`?~.01+\\'.split(''));
  const plain = fc.constantFrom(...'abcxyz宣州郎溪县 　#:-.01@（）'.split(''));
  const text = fc.oneof(
    { arbitrary: fc.string({ unit: plain, minLength: 1, maxLength: 8 }), weight: 4 },
    { arbitrary: fc.string({ unit: tricky, minLength: 0, maxLength: 8 }), weight: 1 },
  );
  const key = fc.constantFrom('code', 'name', 'aliases', 'contacts', 'email', 'a', 'b', 'null', 'True', 'x1');
  type Tree = string | Tree[] | { [k: string]: Tree };
  const { tree } = fc.letrec<{ tree: Tree; map: Tree; seq: Tree }>((tie) => ({
    tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, text, tie('map'), tie('seq')),
    map: fc.dictionary(key, tie('tree'), { minKeys: 1, maxKeys: 4 }),
    seq: fc.array(tie('tree'), { minLength: 0, maxLength: 3 }),
  }));
  const style = fc.record({
    indent: fc.integer({ min: 1, max: 4 }),
    afterDash: fc.integer({ min: 1, max: 3 }),
    compact: fc.boolean(),
    quote: fc.constantFrom('plain', 'single', 'double', 'mixed'),
    flow: fc.boolean(),
    comments: fc.boolean(),
    crlf: fc.boolean(),
  });
  type Style = typeof style extends fc.Arbitrary<infer S> ? S : never;

  function scalar(s: string, st: Style, k: number): string {
    const q = st.quote === 'mixed' ? (['plain', 'single', 'double'] as const)[k % 3]! : st.quote;
    if (q === 'single') return `'${s.replaceAll("'", "''")}'`;
    if (q === 'double') return `"${s}"`;
    return s;
  }
  function flow(t: Tree, st: Style, k: number): string {
    if (typeof t === 'string') return scalar(t, st, k);
    if (Array.isArray(t)) return `[${t.map((x, i) => flow(x, st, k + i)).join(', ')}]`;
    return `{ ${Object.entries(t).map(([kk, v], i) => `${kk}: ${flow(v, st, k + i)}`).join(', ')} }`;
  }
  function block(t: Tree, st: Style, depth: number, k: number): string[] {
    const pad = ' '.repeat(depth * st.indent);
    if (typeof t === 'string' || (st.flow && depth > 0 && k % 2 === 0)) return [`${pad}${flow(t, st, k)}`];
    if (Array.isArray(t)) {
      if (t.length === 0) return [`${pad}[]`];
      return t.flatMap((item, i) => {
        const inner = block(item, st, 0, k + i);
        const head = `${pad}-${' '.repeat(st.afterDash)}`;
        const rest = ' '.repeat(pad.length + 1 + st.afterDash);
        return inner.map((l, j) => (j === 0 ? head + l : rest + l));
      });
    }
    return Object.entries(t).flatMap(([kk, v], i) => {
      const comment = st.comments && i % 2 === 1 ? ' # note' : '';
      if (typeof v === 'string' || (Array.isArray(v) && v.length === 0)) return [`${pad}${kk}: ${flow(v, st, k + i)}${comment}`];
      const nested = block(v, st, Array.isArray(v) && st.compact ? depth : depth + 1, k + i);
      return [`${pad}${kk}:${comment}`, ...(st.comments ? [`${' '.repeat(i)}# between`] : []), ...nested];
    });
  }

  it('reads every random document it takes as the yaml package does', () => {
    let taken = 0;
    fc.assert(
      fc.property(fc.dictionary(key, tree, { minKeys: 1, maxKeys: 4 }), style, (doc, st) => {
        const lines = block(doc, st, 0, 0);
        const text = `${lines.join(st.crlf ? '\r\n' : '\n')}\n`;
        if (expectSameAsYamlPackage(text)) taken++;
      }),
      { numRuns: 1000 },
    );
    // The subset must be worth having: most plainly written documents are taken.
    expect(taken).toBeGreaterThan(100);
  });

  it('takes nothing broken: a random edit of a document is read as the yaml package reads it, or left to it', () => {
    const base = readFileSync(path.join(shipped, 'units.yaml'), 'utf8').split('\n').slice(9, 27).join('\n').replace(/^/, 'units:');
    let taken = 0;
    const edit = fc.record({
      at: fc.nat({ max: base.length - 1 }),
      op: fc.constantFrom('delete', 'insert', 'duplicate-line', 'indent-line'),
      ch: fc.constantFrom(' ', ':', '-', '#', '"', "'", '[', ']', '{', '}', ',', '\n', 'x', '&', '*', '  '),
    });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        let t = base;
        for (const e of edits) {
          const at = Math.min(e.at, t.length);
          const lineStart = t.lastIndexOf('\n', at - 1) + 1;
          const lineEnd = t.indexOf('\n', at) < 0 ? t.length : t.indexOf('\n', at);
          if (e.op === 'delete') t = t.slice(0, at) + t.slice(at + 1);
          else if (e.op === 'insert') t = t.slice(0, at) + e.ch + t.slice(at);
          else if (e.op === 'duplicate-line') t = t.slice(0, lineEnd) + '\n' + t.slice(lineStart, lineEnd) + t.slice(lineEnd);
          else t = t.slice(0, lineStart) + ' ' + t.slice(lineStart);
        }
        if (expectSameAsYamlPackage(t)) taken++;
      }),
      { numRuns: 1000 },
    );
    // Edits that keep the text plain YAML (a space in a value, a repeated comment) are taken too.
    expect(taken).toBeGreaterThan(50);
  });
});
