import { jobId, STEPS } from '../../jobs/pipeline';
import { loadConfig } from '../../src/config/load-config';
import { lastFireTime } from '../../src/queue/cron-scheduler';

const config = loadConfig();

describe('the ingest schedule', () => {
  it('ingests the day before the run in Shanghai (T+1), whatever the UTC date', () => {
    // 08:00 on the 28th in Shanghai is 00:00 UTC on the 28th; 07:00 Shanghai on the 28th is still the 27th in UTC.
    expect(STEPS.ingest.schedule!.dataAt(config, new Date('2026-11-28T00:00:00Z'))!.day).toBe('2026-11-27');
    expect(STEPS.ingest.schedule!.dataAt(config, new Date('2026-11-27T23:00:00Z'))!.day).toBe('2026-11-27');
    expect(STEPS.ingest.schedule!.dataAt({ ...config, ingest: { ...config.ingest, lagDays: 2 } }, new Date('2026-11-28T00:00:00Z'))!.day).toBe(
      '2026-11-26',
    );
  });

  it('finds the latest scheduled run before now in the configured time zone', () => {
    expect(lastFireTime('0 8 * * *', 'Asia/Shanghai', new Date('2026-11-28T03:00:00Z'))).toEqual(new Date('2026-11-28T00:00:00Z'));
    // At 07:59 Shanghai the last run was yesterday's.
    expect(lastFireTime('0 8 * * *', 'Asia/Shanghai', new Date('2026-11-27T23:59:00Z'))).toEqual(new Date('2026-11-27T00:00:00Z'));
    expect(lastFireTime('30 8 * * 1', 'Asia/Shanghai', new Date('2026-11-27T04:00:00Z'))).toEqual(new Date('2026-11-23T00:30:00Z'));
  });

  it('names one BullMQ job per day, without a colon, and refuses a payload that is not a day', () => {
    expect(jobId('ingest', STEPS.ingest.slot({ day: '2026-11-27', trigger: 'test' }))).toBe('ingest-2026-11-27');
    expect(() => STEPS.ingest.payload.parse({ day: '2026-11-31', trigger: 'test' })).toThrow('不是有效日期');
    expect(() => jobId('ingest', '08:00')).toThrow(':');
  });
});
