import { loadConfig } from '../../src/config/load-config';
import { dayRange } from '../../src/domain/day';
import { CalendarGapError, WorkingCalendar } from '../../src/domain/working-calendar';

const calendar = new WorkingCalendar(loadConfig().calendar);

/** The days of a range that are working days, as the official notice lays them out. */
function working(from: string, to: string): string[] {
  return dayRange(from, to).filter((d) => calendar.isWorkingDay(d));
}

describe('working-day calendar, 2025 (国办发明电〔2024〕12号)', () => {
  it('春节: 1/28–2/4 off, Sunday 1/26 and Saturday 2/8 worked', () => {
    expect(working('2025-01-25', '2025-02-09')).toEqual([
      '2025-01-26', '2025-01-27', '2025-02-05', '2025-02-06', '2025-02-07', '2025-02-08',
    ]);
  });
  it('劳动节 5/1–5/5 off with Sunday 4/27 worked; 国庆+中秋 10/1–10/8 off with 9/28 and 10/11 worked', () => {
    expect(calendar.isWorkingDay('2025-04-27')).toBe(true);
    expect(working('2025-05-01', '2025-05-05')).toEqual([]);
    expect(working('2025-09-27', '2025-10-12')).toEqual([
      '2025-09-28', '2025-09-29', '2025-09-30', '2025-10-09', '2025-10-10', '2025-10-11',
    ]);
    expect(calendar.holidayName('2025-10-06')).toBe('国庆节、中秋节');
  });
  it('元旦 1/1 off without a swap; 清明 and 端午', () => {
    expect(calendar.isWorkingDay('2025-01-01')).toBe(false);
    expect(working('2025-04-04', '2025-04-06')).toEqual([]);
    expect(working('2025-05-31', '2025-06-02')).toEqual([]);
    expect(calendar.isWorkingDay('2025-06-03')).toBe(true);
  });
});

describe('working-day calendar, 2026', () => {
  it('元旦 1/1–1/3 off, Sunday 1/4 worked', () => {
    expect(working('2025-12-31', '2026-01-05')).toEqual(['2025-12-31', '2026-01-04', '2026-01-05']);
  });
  it('春节 2/15–2/23 off, Saturdays 2/14 and 2/28 worked', () => {
    expect(working('2026-02-14', '2026-03-01')).toEqual([
      '2026-02-14', '2026-02-24', '2026-02-25', '2026-02-26', '2026-02-27', '2026-02-28',
    ]);
  });
  it('劳动节 5/1–5/5 off, Saturday 5/9 worked; 端午 and 中秋', () => {
    expect(working('2026-05-01', '2026-05-10')).toEqual(['2026-05-06', '2026-05-07', '2026-05-08', '2026-05-09']);
    expect(working('2026-06-19', '2026-06-21')).toEqual([]);
    expect(working('2026-09-25', '2026-09-27')).toEqual([]);
  });
  it('国庆 10/1–10/7 off, Sunday 9/20 and Saturday 10/10 worked', () => {
    expect(calendar.isWorkingDay('2026-09-20')).toBe(true);
    expect(working('2026-10-01', '2026-10-11')).toEqual(['2026-10-08', '2026-10-09', '2026-10-10']);
  });
  it('has 248 working days in each year: 261 weekdays, less the weekday holidays, plus the 调休 weekends', () => {
    // 2026: 261 − 19 + 6; 2025: 261 − 18 + 5.
    expect(working('2026-01-01', '2026-12-31')).toHaveLength(248);
    expect(working('2025-01-01', '2025-12-31')).toHaveLength(248);
  });
});

describe('working-day arithmetic', () => {
  it('counts N working days from the next working day: Monday 2026-09-28 + 5 is Saturday 2026-10-10', () => {
    expect(calendar.addWorkingDays('2026-09-28', 5)).toBe('2026-10-10');
    expect(calendar.workingDaysBetween('2026-09-28', '2026-10-10')).toBe(5);
  });
  it('adds across 春节 and counts back', () => {
    expect(calendar.addWorkingDays('2026-02-13', 1)).toBe('2026-02-14');
    expect(calendar.addWorkingDays('2026-02-14', 1)).toBe('2026-02-24');
    expect(calendar.addWorkingDays('2026-02-24', -1)).toBe('2026-02-14');
    expect(calendar.addWorkingDays('2026-11-27', 0)).toBe('2026-11-27');
    expect(calendar.previousWorkingDay('2026-10-08')).toBe('2026-09-30');
    expect(calendar.workingDaysBetween('2026-10-10', '2026-09-28')).toBe(-5);
    // Across the year end, from a holiday.
    expect(calendar.addWorkingDays('2025-12-31', 2)).toBe('2026-01-05');
  });
  it('finds the same working weekday a week back, skipping a holiday week', () => {
    expect(calendar.sameWorkingWeekdayBefore('2026-11-27')).toBe('2026-11-20');
    // Thursday 2026-10-08: Thursday 10/1 was 国庆, so the Thursday before that.
    expect(calendar.sameWorkingWeekdayBefore('2026-10-08')).toBe('2026-09-24');
  });
  it('refuses a day in a year it has no data for, naming the year', () => {
    expect(() => calendar.isWorkingDay('2027-01-04')).toThrow(CalendarGapError);
    expect(() => calendar.addWorkingDays('2026-12-30', 5)).toThrow('工作日历缺少 2027 年的数据（已有：2025、2026）');
    expect(() => calendar.isWorkingDay('2024-12-31')).toThrow('2024');
  });
});
