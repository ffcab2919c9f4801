import { parseDecimal, shiftDecimal } from '../../src/domain/decimal-value';

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
    ['1e999', 'not_finite'],
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
