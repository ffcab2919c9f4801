import { dayIn } from '../src/domain/day';
import { parseIsoWeek } from '../src/domain/iso-week';
import { crashPoint } from '../src/ops/crash-points';
import { weekDueOn } from '../src/domain/letter-schedule';
import { WorkingCalendar } from '../src/domain/working-calendar';
import type { JobDefinition } from './job-definition';

export interface DigestJobData {
  /** ISO week, e.g. 2026-W48. */
  week: string;
}

/**
 * 周交办: the week's letters and the director's summary, then a wake-up for the relay. The cron fires every day at
 * the letter time and enqueues only once the week's letter day has come, so a holiday Monday moves the letters to the
 * next working day and a daemon that was down on the day catches up; the slot keeps it to one run per week.
 */
export const digestJob = {
  name: 'digest',
  slot: (data) => parseIsoWeek(data.week),
  schedule: {
    cron: (config) => {
      const [hour, minute] = config.letters.time.split(':').map(Number);
      return `${minute} ${hour} * * *`;
    },
    dataAt: (config, fireTime) => {
      const week = weekDueOn(new WorkingCalendar(config.calendar), dayIn(config.timezone, fireTime), config.letters.weekday);
      return week ? { week } : undefined;
    },
  },
  async handle(ctx, data) {
    // After a restart the backfilled days are still being ingested and judged: letters wait for them.
    await ctx.untilQuiet?.();
    const report = await ctx.services.digest.issueWeek(parseIsoWeek(data.week));
    crashPoint('digest.summarised');
    await ctx.enqueue?.('deliver', `digest-${data.week}`, { reason: `digest-${data.week}` });
    return report;
  },
} satisfies JobDefinition<DigestJobData>;
