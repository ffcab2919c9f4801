/**
 * The units file's schema (schema.ts, unitsFileSchema) checked by hand, for the catalogue that holds tens of thousands
 * of units: zod walks every value through its generic machinery and keeps an issue list per level, which at 50,000
 * units was most of what loading cost after the YAML. This check only says yes: it returns a value equal to what
 * zod's parse would (the same keys in the same order, the defaults filled in; the unit itself when it is written so
 * already) when every unit is certainly valid, and undefined at the first doubt, where the caller runs zod on the
 * whole file, whose messages are the ones reported. So a wrong catalogue gets exactly today's messages, and a right
 * one never pays for zod.
 *
 * Kept in step with unitSchema by test/unit/units-shape.test.ts, which runs both over generated units.
 */
import { z } from 'zod';
import { CODE_PATTERN, UnitConfig } from './schema';

/** The pattern z.email() checks against (zod's default). */
const EMAIL_PATTERN = z.regexes.email;

/** unitSchema's keys, in its order: zod's output lists them so. */
export const UNIT_KEYS = ['code', 'name', 'kind', 'parent', 'aliases', 'contacts', 'addressee', 'copyTo'] as const;
export const CONTACT_KEYS = ['name', 'email', 'phone', 'role'] as const;
export const COPY_TO_KEYS = ['name', 'email'] as const;

type Data = Record<string, unknown>;

/** `{ units }` as unitsFileSchema.parse would return it, or undefined if anything may be wrong. */
export function unitsFileFastPath(data: unknown): { units: UnitConfig[] } | undefined {
  if (!isPlainObject(data)) return undefined;
  const keys = Object.keys(data);
  if (keys.length !== 1 || keys[0] !== 'units') return undefined;
  const list = data.units;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const units: UnitConfig[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const unit = unitFastPath(list[i]);
    if (!unit) return undefined;
    units[i] = unit;
  }
  return { units };
}

/** One unit as unitSchema.parse would return it, or undefined if anything may be wrong. */
export function unitFastPath(u: unknown): UnitConfig | undefined {
  if (!isPlainObject(u)) return undefined;
  const keys = keyOrder(u, UNIT_KEYS);
  if (keys === NOT_THE_SCHEMAS) return undefined;
  const { code, name, kind, parent, aliases, contacts, addressee, copyTo } = u;
  if (!isCode(code) || !isNonEmpty(name) || (kind !== 'city' && kind !== 'county' && kind !== 'department')) return undefined;
  if ('parent' in u && !isCode(parent)) return undefined;
  if (aliases !== undefined && !(Array.isArray(aliases) && aliases.every(isNonEmpty))) return undefined;
  if ('addressee' in u && !isNonEmpty(addressee)) return undefined;
  const contactsOrder = contacts === undefined ? IN_ORDER : objects(contacts, CONTACT_KEYS, isContact);
  const copyToOrder = 'copyTo' in u ? objects(copyTo, COPY_TO_KEYS, isCopyTo) : IN_ORDER;
  if (contactsOrder === NOT_THE_SCHEMAS || copyToOrder === NOT_THE_SCHEMAS) return undefined;
  // Written in the schema's order, with aliases and contacts (as a large catalogue is), it is already what zod returns.
  if (keys === IN_ORDER && contactsOrder === IN_ORDER && copyToOrder === IN_ORDER && aliases !== undefined && contacts !== undefined) {
    return u as UnitConfig;
  }
  // Else the same values as zod's output lists them: in the schema's order, the defaults filled in, fresh arrays.
  const out: Data = {};
  for (const key of UNIT_KEYS) {
    if (key === 'aliases') out.aliases = aliases === undefined ? [] : [...(aliases as string[])];
    else if (key === 'contacts') out.contacts = contacts === undefined ? [] : (contacts as Data[]).map((c) => inSchemaOrder(c, CONTACT_KEYS));
    else if (key === 'copyTo') {
      if ('copyTo' in u) out.copyTo = (copyTo as Data[]).map((c) => inSchemaOrder(c, COPY_TO_KEYS));
    } else if (key in u) out[key] = u[key];
  }
  return out as UnitConfig;
}

function isContact(c: Data): boolean {
  return isNonEmpty(c.name) && (!('email' in c) || isEmail(c.email)) && (!('phone' in c) || typeof c.phone === 'string') && (!('role' in c) || typeof c.role === 'string');
}

function isCopyTo(c: Data): boolean {
  return isNonEmpty(c.name) && (!('email' in c) || isEmail(c.email));
}

const NOT_THE_SCHEMAS = 0;
const IN_ORDER = 1;
const OUT_OF_ORDER = 2;
type KeyOrder = typeof NOT_THE_SCHEMAS | typeof IN_ORDER | typeof OUT_OF_ORDER;

/**
 * Whether an object has only the schema's keys (none present as undefined, which YAML never gives: left to zod), and
 * whether they come in its order.
 */
function keyOrder(o: Data, order: readonly string[]): KeyOrder {
  let next = 0;
  let inOrder = true;
  for (const key of Object.keys(o)) {
    const at = order.indexOf(key);
    if (at < 0 || o[key] === undefined) return NOT_THE_SCHEMAS;
    if (at < next) inOrder = false;
    else next = at + 1;
  }
  return inOrder ? IN_ORDER : OUT_OF_ORDER;
}

/** An array of objects with only the given keys, each accepted by `each`; and whether all have them in order. */
function objects(value: unknown, order: readonly string[], each: (o: Data) => boolean): KeyOrder {
  if (!Array.isArray(value)) return NOT_THE_SCHEMAS;
  let all: KeyOrder = IN_ORDER;
  for (const item of value as unknown[]) {
    if (!isPlainObject(item)) return NOT_THE_SCHEMAS;
    const keys = keyOrder(item, order);
    if (keys === NOT_THE_SCHEMAS || !each(item)) return NOT_THE_SCHEMAS;
    if (keys === OUT_OF_ORDER) all = OUT_OF_ORDER;
  }
  return all;
}

function inSchemaOrder(o: Data, order: readonly string[]): Data {
  const out: Data = {};
  for (const key of order) if (key in o) out[key] = o[key];
  return out;
}

/** An object as YAML gives one (zod would also take others, but a doubt only costs a zod run). */
function isPlainObject(value: unknown): value is Data {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isCode(value: unknown): value is string {
  return typeof value === 'string' && CODE_PATTERN.test(value);
}

function isNonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1;
}

function isEmail(value: unknown): value is string {
  return typeof value === 'string' && EMAIL_PATTERN.test(value);
}
