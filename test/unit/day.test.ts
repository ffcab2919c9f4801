import { addDays, dayIn, dayRange, daysBetween, isDay, weekday } from '../../src/domain/day';
import { parseDayText } from '../../src/domain/day-text';

describe('calendar days', () => {
  it('validates real dates only', () => {
    expect(isDay('2026-02-28')).toBe(true);
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2028-02-29')).toBe(true);
    expect(isDay('2026-1-5')).toBe(false);
  });

  it('adds days across months and years', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(daysBetween('2026-11-01', '2026-12-01')).toBe(30);
    expect(dayRange('2026-11-29', '2026-12-02')).toEqual(['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
  });

  it('knows the weekday', () => {
    expect(weekday('2026-11-27')).toBe(5); // a Friday
    expect(weekday('2026-10-10')).toBe(6);
  });

  it('takes the day on the Shanghai wall calendar, not UTC', () => {
    // 2026-11-27 17:30 UTC is already the 28th in Shanghai (UTC+8).
    const instant = new Date('2026-11-27T17:30:00Z');
    expect(dayIn('Asia/Shanghai', instant)).toBe('2026-11-28');
    expect(dayIn('UTC', instant)).toBe('2026-11-27');
  });
});

describe('parseDayText', () => {
  it.each([
    ['2026-11-27', '2026-11-27'],
    ['2026/11/27', '2026-11-27'],
    ['2026/1/5', '2026-01-05'],
    ['20261127', '2026-11-27'],
    ['2026年11月27日', '2026-11-27'],
    ['2026.11.27', '2026-11-27'],
    ['2026-11-27 00:00:00', '2026-11-27'],
  ])('reads %p', (text, day) => expect(parseDayText(text)).toBe(day));

  it.each(['2026-02-30', '27/11/2026', 'yesterday', '', '2026-13-01'])('refuses %p', (text) => {
    expect(parseDayText(text)).toBeUndefined();
  });
});
