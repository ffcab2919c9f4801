import fc from 'fast-check';
import { unitSchema, unitsFileSchema } from '../../src/config/schema';
import { CONTACT_KEYS, COPY_TO_KEYS, UNIT_KEYS, unitFastPath, unitsFileFastPath } from '../../src/config/units-shape';

/** The shape units-shape.ts knows, read off the schema: a key added to unitSchema must be added there too. */
function shapeKeys(schema: unknown): string[] {
  let s = schema as { shape?: Record<string, unknown>; unwrap?: () => unknown; element?: unknown };
  while (!s.shape) s = (s.unwrap ? s.unwrap() : s.element) as typeof s;
  return Object.keys(s.shape);
}

describe('the units file checked by hand', () => {
  it('knows every key of unitSchema, in its order', () => {
    expect(UNIT_KEYS).toEqual(shapeKeys(unitSchema));
    expect(CONTACT_KEYS).toEqual(shapeKeys(unitSchema.shape.contacts));
    expect(COPY_TO_KEYS).toEqual(shapeKeys(unitSchema.shape.copyTo));
  });

  // Units made of right and wrong pieces: whatever the hand check accepts, zod accepts, and returns the same, keys in
  // the same order; and a unit built only of right pieces is accepted.
  const good = {
    code: fc.constantFrom('xuancheng', 'a', 'a_1', 'z9'),
    name: fc.constantFrom('宣城市', 'x', ' ', '郎溪县\u3000'),
    kind: fc.constantFrom('city', 'county', 'department'),
    email: fc.constantFrom('a@b.cn', 'x.y+z@mail.example.gov.cn', "o'k@x.org"),
    text: fc.constantFrom('', '联络员', '0563-0000000'),
  };
  const bad = {
    code: fc.constantFrom('Xuancheng', '1a', '', 'a-b', 'a b', 42, null, undefined, ['a']),
    name: fc.constantFrom('', 42, null, undefined, ['x'], {}),
    kind: fc.constantFrom('township', 'City', '', null, undefined, 1),
    email: fc.constantFrom('a@b', '@b.cn', 'a@@b.cn', '.a@b.cn', 'a..b@c.cn', 'a@b.c', '', 42, null, undefined),
    text: fc.constantFrom(42, null, undefined, true, ['x']),
  };
  const pick = <T, U>(g: fc.Arbitrary<T>, b: fc.Arbitrary<U>) => fc.oneof({ arbitrary: g, weight: 6 }, { arbitrary: b, weight: 1 });
  const object = (fields: Record<string, fc.Arbitrary<unknown>>, extra: boolean) =>
    fc
      .tuple(fc.record(fields, { requiredKeys: [] }), fc.constantFrom(...(extra ? [{}, {}, {}, { extra: 1 }] : [{}])), fc.boolean())
      .map(([o, x, reversed]) => {
        // Keys absent or present (a wrong piece may be undefined), in the schema's order or reversed.
        const entries = Object.entries({ ...o, ...x });
        return Object.fromEntries(reversed ? entries.reverse() : entries);
      });
  const contact = object({ name: pick(good.name, bad.name), email: pick(good.email, bad.email), phone: pick(good.text, bad.text), role: pick(good.text, bad.text) }, true);
  const copy = object({ name: pick(good.name, bad.name), email: pick(good.email, bad.email) }, true);
  const unit = object(
    {
      code: pick(good.code, bad.code),
      name: pick(good.name, bad.name),
      kind: pick(good.kind, bad.kind),
      parent: pick(good.code, bad.code),
      aliases: pick(fc.array(good.name, { maxLength: 3 }), fc.constantFrom([''], 'x', null, [1])),
      contacts: pick(fc.array(contact, { maxLength: 2 }), fc.constantFrom({}, 'x', null)),
      addressee: pick(good.name, bad.name),
      copyTo: pick(fc.array(copy, { maxLength: 2 }), fc.constantFrom({}, 'x', null)),
    },
    true,
  );

  it('accepts only what zod accepts, and returns what zod returns', () => {
    let accepted = 0;
    fc.assert(
      fc.property(unit, (u) => {
        const fast = unitFastPath(u);
        const zod = unitSchema.safeParse(u);
        if (fast === undefined) return;
        accepted++;
        expect(zod.success).toBe(true);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
        expect(fast).toEqual(zod.data);
      }),
      { numRuns: 5000 },
    );
    expect(accepted).toBeGreaterThan(200);
  });

  it('accepts every unit made only of right pieces', () => {
    const right = fc.record(
      {
        code: good.code,
        name: good.name,
        kind: good.kind,
        parent: good.code,
        aliases: fc.array(good.name, { maxLength: 3 }),
        contacts: fc.array(fc.record({ name: good.name, email: good.email, phone: good.text, role: good.text }, { requiredKeys: ['name'] }), { maxLength: 2 }),
        addressee: good.name,
        copyTo: fc.array(fc.record({ name: good.name, email: good.email }, { requiredKeys: ['name'] }), { maxLength: 2 }),
      },
      { requiredKeys: ['code', 'name', 'kind'] },
    );
    fc.assert(
      fc.property(right, (u) => {
        expect(unitSchema.safeParse(u).success).toBe(true);
        expect(JSON.stringify(unitFastPath(u))).toBe(JSON.stringify(unitSchema.parse(u)));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves the file to zod unless it is { units: [one or more] } and nothing else', () => {
    const u = { code: 'a', name: 'A', kind: 'city' };
    expect(unitsFileFastPath({ units: [u] })).toEqual(unitsFileSchema.parse({ units: [u] }));
    for (const data of [{}, { units: [] }, { units: [u], other: 1 }, { units: u }, [u], null, 'units', { units: [u, { ...u, kind: 'town' }] }]) {
      expect(unitsFileFastPath(data)).toBeUndefined();
    }
  });
});
