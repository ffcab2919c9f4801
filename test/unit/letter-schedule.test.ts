import { STEPS } from '../../jobs/pipeline';
import { loadConfig } from '../../src/config/load-config';
import { addWeeks, isoWeekOf, mondayOf, parseIsoWeek } from '../../src/domain/iso-week';
import { letterDay, letterNumber, reportingWindow, weekDueOn } from '../../src/domain/letter-schedule';
import { WorkingCalendar } from '../../src/domain/working-calendar';

const config = loadConfig();
const calendar = new WorkingCalendar(config.calendar);

describe('ISO weeks', () => {
  it('names the week of a day, the Thursday deciding the year', () => {
    expect(isoWeekOf('2026-11-23')).toBe('2026-W48');
    expect(isoWeekOf('2026-11-29')).toBe('2026-W48');
    expect(isoWeekOf('2026-01-01')).toBe('2026-W01'); // a Thursday
    expect(isoWeekOf('2027-01-01')).toBe('2026-W53'); // a Friday: 2026 has 53 weeks
    expect(isoWeekOf('2024-12-30')).toBe('2025-W01');
  });

  it('finds the Monday of a week and steps weeks', () => {
    expect(mondayOf('2026-W48')).toBe('2026-11-23');
    expect(mondayOf('2025-W01')).toBe('2024-12-30');
    expect(addWeeks('2026-W53', 1)).toBe('2027-W01');
  });

  it('refuses what is not a week', () => {
    for (const bad of ['2026-48', '2026-W00', '2025-W53', '2026-W54', '2026-w48']) expect(() => parseIsoWeek(bad)).toThrow('不是有效的 ISO 周');
    expect(parseIsoWeek('2026-W53')).toBe('2026-W53');
  });
});

describe('when the weekly letters go out', () => {
  it('is Monday, or the next working day after a holiday Monday', () => {
    expect(letterDay(calendar, '2026-W48')).toBe('2026-11-23');
    // 国庆 2026 runs to Wednesday 10/7: the letters of W41 go out on Thursday 10/8.
    expect(letterDay(calendar, '2026-W41')).toBe('2026-10-08');
    // A meeting held on Wednesdays.
    expect(letterDay(calendar, '2026-W48', 3)).toBe('2026-11-25');
  });

  it('is due from the letter day to the end of its week, and not before', () => {
    expect(weekDueOn(calendar, '2026-11-22')).toBe('2026-W47');
    expect(weekDueOn(calendar, '2026-11-23')).toBe('2026-W48');
    expect(weekDueOn(calendar, '2026-10-05')).toBeUndefined();
    expect(weekDueOn(calendar, '2026-10-07')).toBeUndefined();
    expect(weekDueOn(calendar, '2026-10-08')).toBe('2026-W41');
  });

  it('skips a week that 春节 takes whole, and the next letter reports on both', () => {
    // 2026 春节 is 2/15–2/23: W08 has no working day, W09 starts on Tuesday 2/24.
    expect(weekDueOn(calendar, '2026-02-20')).toBeUndefined();
    expect(weekDueOn(calendar, '2026-02-24')).toBe('2026-W09');
    expect(reportingWindow(calendar, '2026-W09')).toEqual({ from: '2026-02-09', to: '2026-02-22' });
    expect(reportingWindow(calendar, '2026-W48')).toEqual({ from: '2026-11-16', to: '2026-11-22' });
  });

  it('has the daemon enqueue the week at the configured time only once it is due', () => {
    const at = (iso: string) => STEPS.letters.schedule!.dataAt(config, new Date(iso));
    expect(STEPS.letters.schedule!.cron(config)).toBe('30 8 * * *');
    expect(at('2026-11-23T00:30:00Z')).toEqual({ week: '2026-W48' }); // Monday 08:30 in Shanghai
    expect(at('2026-10-05T00:30:00Z')).toBeUndefined();
    expect(at('2026-10-08T00:30:00Z')).toEqual({ week: '2026-W41' });
    expect(STEPS.letters.slot({ week: '2026-W48' })).toBe('2026-W48');
  });
});

describe('letter numbers', () => {
  it('follow the bureau pattern', () => {
    expect(letterNumber('宣数督〔{year}〕{week}-{seq}号', { year: 2026, week: 48, seq: 7 })).toBe('宣数督〔2026〕48-07号');
    expect(letterNumber('宣数督〔{year}〕{week}-{seq}号', { year: 2027, week: 1, seq: 123 })).toBe('宣数督〔2027〕01-123号');
  });
});
