import fc from 'fast-check';
import { compareDecimal, parseDecimal, shiftDecimal } from '../../src/domain/decimal-value';

describe('parseDecimal', () => {
  it.each([
    ['99.5', '99.5', false],
    [' 99.50 ', '99.5', false],
    ['99.5%', '99.5', true],
    ['１００％', '100', true],
    ['0.995', '0.995', false],
    ['.5', '0.5', false],
    ['+7', '7', false],
    ['-3.10', '-3.1', false],
    ['1,234.5', '1234.5', false],
    ['1e2', '100', false],
    ['1e-7', '0.0000001', false],
    ['1E-7%', '0.0000001', true],
    ['0.1e1', '1', false],
    ['-2.5e-3', '-0.0025', false],
    ['99.99999999999999999', '99.99999999999999999', false],
    ['1' + '0'.repeat(29), '1' + '0'.repeat(29), false],
    ['007', '7', false],
  ])('reads %p as %p', (input, value, pct) => {
    expect(parseDecimal(input)).toEqual({ ok: true, value, hadPercentSign: pct });
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['NaN', 'not_finite'],
    ['Infinity', 'not_finite'],
    ['-inf', 'not_finite'],
    ['#DIV/0!', 'not_finite'],
    ['1e999', 'too_many_digits'],
    ['1e-61', 'too_many_digits'],
    ['1' + '0'.repeat(30), 'too_many_digits'],
    ['0.' + '3'.repeat(20_000), 'too_many_digits'],
    ['abc', 'not_numeric'],
    ['#N/A', 'not_numeric'],
    ['99.5.1', 'not_numeric'],
    ['12,34', 'not_numeric'],
    ['--1', 'not_numeric'],
  ])('refuses %p as %p', (input, problem) => {
    expect(parseDecimal(input)).toEqual({ ok: false, problem });
  });
});

describe('shiftDecimal', () => {
  it.each([
    ['0.995', 2, '99.5'],
    ['1', 2, '100'],
    ['0.0001', 2, '0.01'],
    ['0', 2, '0'],
    ['12.345', 2, '1234.5'],
    ['-0.5', 2, '-50'],
    ['99.5', -2, '0.995'],
  ])('%p shifted by %p is %p, exactly', (value, places, expected) => {
    expect(shiftDecimal(value, places)).toBe(expected);
  });
});

describe('compareDecimal', () => {
  it.each([
    ['100.00000000000000001', '100', 1],
    ['99.99999999999999999', '100', -1],
    ['100', '100.000', 0],
    ['-1', '0.5', -1],
    ['-2', '-1', -1],
    ['0.0000001', '0', 1],
    ['10', '9.99', 1],
  ])('%p against %p', (a, b, sign) => {
    expect(Math.sign(compareDecimal(a, b))).toBe(sign);
  });

  it('orders canonical decimals as exact arithmetic does', () => {
    // Canonical as parseDecimal leaves them: no leading zeros, no trailing fractional zeros, no '-0'.
    const decimal = fc
      .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 6 }))
      .map(([negative, digits, scale]) => {
        const text = digits.toString().padStart(scale + 1, '0');
        const plain = scale === 0 ? text : `${text.slice(0, -scale)}.${text.slice(-scale)}`.replace(/\.?0+$/, '');
        return { text: negative && digits !== 0n ? `-${plain}` : plain, scaled: (negative ? -digits : digits) * 10n ** BigInt(6 - scale) };
      });
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        expect(Math.sign(compareDecimal(a.text, b.text))).toBe(a.scaled === b.scaled ? 0 : a.scaled < b.scaled ? -1 : 1);
      }),
      { numRuns: 2000 },
    );
  });
});
