import { loadConfig } from '../../src/config/load-config';
import { deadlineFor, escalationLevel, overdueWorkingDays } from '../../src/domain/problem-deadline';
import { WorkingCalendar } from '../../src/domain/working-calendar';

const calendar = new WorkingCalendar(loadConfig().calendar);

describe('problem deadlines in working days', () => {
  it('counts a simple problem (5) across 国庆 onto the 调休 Saturday', () => {
    // Assigned Monday 9/28; 9/29, 9/30, then 10/1–10/7 off, 10/8, 10/9, and Saturday 10/10 is worked.
    expect(deadlineFor(calendar, '2026-09-28', 5)).toBe('2026-10-10');
  });

  it('counts a cross-department problem (15) across 春节 2025, with its two 调休 days', () => {
    // From Friday 1/24/2025: Sunday 1/26 (1) and 1/27 (2) worked, 1/28–2/4 off, 2/5–2/7 (5), Saturday 2/8 (6),
    // 2/10–2/14 (11), 2/17–2/20 (15). Counted as plain weekdays it would end on 2/14.
    expect(deadlineFor(calendar, '2025-01-24', 15)).toBe('2025-02-20');
  });

  it('counts a complex problem (22) into the next year', () => {
    expect(deadlineFor(calendar, '2025-12-10', 22)).toBe('2026-01-12');
  });

  it('is overdue only by working days: the 国庆 week does not count against a department', () => {
    expect(overdueWorkingDays(calendar, '2026-09-30', '2026-09-30')).toBe(0);
    expect(overdueWorkingDays(calendar, '2026-09-30', '2026-09-29')).toBe(0);
    expect(overdueWorkingDays(calendar, '2026-09-30', '2026-10-07')).toBe(0);
    expect(overdueWorkingDays(calendar, '2026-09-30', '2026-10-08')).toBe(1);
    expect(overdueWorkingDays(calendar, '2026-09-30', '2026-10-10')).toBe(3);
  });

  it('escalates 提醒 → 督办 → 通报 as working days pass', () => {
    const levels = ['2026-10-07', '2026-10-08', '2026-10-10', '2026-10-14'].map((today) =>
      escalationLevel(overdueWorkingDays(calendar, '2026-09-30', today)),
    );
    expect(levels).toEqual(['none', 'remind', 'supervise', 'notify']);
    expect(escalationLevel(2, { remind: 2, supervise: 4, notify: 9 })).toBe('remind');
  });
});
