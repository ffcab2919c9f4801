/**
 * Exact handling of the numbers sources send. Values are kept as decimal strings end to end (Postgres `numeric`),
 * because 0.995 × 100 in floating point is 99.49999999999999 and an auditor must see what was reported.
 */

const PLAIN_DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)$/;
const EXPONENT = /^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$/;
const NOT_FINITE = /^[+-]?(nan|inf|infinity|∞)$/i;
// Excel writes #DIV/0! into exports where a rate's denominator was zero.
const EXCEL_DIV0 = /^#div\/0!$/i;

export type ParsedNumber =
  | { ok: true; value: string; hadPercentSign: boolean }
  | { ok: false; problem: 'empty' | 'not_numeric' | 'not_finite' | 'too_many_digits' };

/**
 * Digits a value may have (integer and fraction together, in canonical form). Government-service indicators need a
 * handful; a cell of thousands of digits is a broken export, refused with its own reason rather than failing the file
 * in the database.
 */
export const MAX_DIGITS = 30;

/** Parses `99.5`, `99.5%`, `1,234`, `１２.５` (full-width) or `1e-7` into a canonical decimal string, exactly. */
export function parseDecimal(input: string): ParsedNumber {
  const plain = plainDigits(input);
  if (plain !== undefined) return checked(plain, false);
  let text = toHalfWidth(input).trim();
  if (text === '') return { ok: false, problem: 'empty' };
  if (NOT_FINITE.test(text) || EXCEL_DIV0.test(text)) return { ok: false, problem: 'not_finite' };
  let hadPercentSign = false;
  if (text.endsWith('%')) {
    hadPercentSign = true;
    text = text.slice(0, -1).trim();
  }
  if (/^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$/.test(text)) text = text.replaceAll(',', '');
  if (PLAIN_DECIMAL.test(text)) return checked(canonical(text), hadPercentSign);
  if (EXPONENT.test(text)) {
    // Shifted on the digits: through a float, 1e-7 would come back as the text "1e-7" and 0.1e1 as 1.0000000000000002.
    const [mantissa = '', exponent = ''] = text.toLowerCase().split('e');
    const shift = Number(exponent);
    if (!Number.isSafeInteger(shift) || Math.abs(shift) > MAX_DIGITS * 2) return { ok: false, problem: 'too_many_digits' };
    return checked(shiftDecimal(canonical(mantissa), shift), hadPercentSign);
  }
  return { ok: false, problem: 'not_numeric' };
}

function checked(value: string, hadPercentSign: boolean): ParsedNumber {
  const digits = value.length - (value.startsWith('-') ? 1 : 0) - (value.includes('.') ? 1 : 0);
  // `0.5` counts one digit: the leading zero is not written by anyone.
  const significant = value.startsWith('0.') || value.startsWith('-0.') ? digits - 1 : digits;
  return significant > MAX_DIGITS ? { ok: false, problem: 'too_many_digits' } : { ok: true, value, hadPercentSign };
}

/** Compares two canonical decimal strings exactly: negative, zero or positive as a is below, equal to or above b. */
export function compareDecimal(a: string, b: string): number {
  // On the characters, without splitting: every ingested value is compared, half a million a day at national scale.
  const na = a.charCodeAt(0) === MINUS;
  const nb = b.charCodeAt(0) === MINUS;
  if (na !== nb) return na ? -1 : 1;
  const sign = na ? -1 : 1;
  const sa = na ? 1 : 0;
  const sb = nb ? 1 : 0;
  const pa = a.indexOf('.');
  const pb = b.indexOf('.');
  const ia = (pa < 0 ? a.length : pa) - sa;
  const ib = (pb < 0 ? b.length : pb) - sb;
  if (ia !== ib) return sign * (ia - ib);
  for (let k = 0; k < ia; k++) {
    const d = a.charCodeAt(sa + k) - b.charCodeAt(sb + k);
    if (d !== 0) return sign * (d < 0 ? -1 : 1);
  }
  const fa = pa < 0 ? 0 : a.length - pa - 1;
  const fb = pb < 0 ? 0 : b.length - pb - 1;
  for (let k = 0; k < Math.max(fa, fb); k++) {
    const ca = k < fa ? a.charCodeAt(pa + 1 + k) : ZERO;
    const cb = k < fb ? b.charCodeAt(pb + 1 + k) : ZERO;
    if (ca !== cb) return sign * (ca < cb ? -1 : 1);
  }
  return 0;
}

const MINUS = 45;
const ZERO = 48;

/** `value × 10^places` done on the digits, so no binary rounding creeps in. */
export function shiftDecimal(value: string, places: number): string {
  const negative = value.startsWith('-');
  const digits = negative ? value.slice(1) : value;
  const [intPart = '0', fracPart = ''] = digits.split('.');
  let all = intPart + fracPart;
  let point = intPart.length + places;
  if (point < 0) {
    all = '0'.repeat(-point) + all;
    point = 0;
  }
  if (point > all.length) all += '0'.repeat(point - all.length);
  const shifted = canonical(`${all.slice(0, point) || '0'}.${all.slice(point)}`);
  return negative && shifted !== '0' ? `-${shifted}` : shifted;
}


/**
 * Nearly every value a source sends is `99.53` or `100`: ASCII digits with at most one point between digits. Those
 * are put in canonical form here, as `canonical` would (leading zeros of the integer part and trailing zeros of the
 * fraction dropped), without the general path's regular expressions; anything else returns undefined.
 */
function plainDigits(s: string): string | undefined {
  const n = s.length;
  if (n === 0) return undefined;
  let point = -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    if (c === 46 && point === -1 && i > 0 && i < n - 1) {
      point = i;
      continue;
    }
    return undefined;
  }
  const intEnd = point === -1 ? n : point;
  let from = 0;
  while (from < intEnd - 1 && s.charCodeAt(from) === 48) from++;
  if (point === -1) return from === 0 ? s : s.slice(from);
  let to = n;
  while (to > point + 1 && s.charCodeAt(to - 1) === 48) to--;
  if (to === point + 1) return s.slice(from, point);
  return from === 0 && to === n ? s : s.slice(from, to);
}

function canonical(text: string): string {
  let t = text.startsWith('+') ? text.slice(1) : text;
  const negative = t.startsWith('-');
  if (negative) t = t.slice(1);
  if (t.startsWith('.')) t = `0${t}`;
  let [i = '0', f = ''] = t.split('.');
  i = i.replace(/^0+(?=\d)/, '');
  f = f.replace(/0+$/, '');
  const out = f ? `${i}.${f}` : i;
  return negative && out !== '0' ? `-${out}` : out;
}

function toHalfWidth(s: string): string {
  // Chinese input methods produce full-width digits, signs and the full-width percent sign.
  return /[\uFF01-\uFF5E\u3000]/.test(s)
    ? s.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ')
    : s;
}
