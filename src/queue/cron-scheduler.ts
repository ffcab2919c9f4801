import cron, { ScheduledTask } from 'node-cron';

/** The most recent time at or before `now` that `expression` fires in `timeZone`, looking back at most `days`. */
export function lastFireTime(expression: string, timeZone: string, now: Date, days = 8): Date | undefined {
  const task = cron.createTask(expression, () => undefined, { timezone: timeZone });
  try {
    const minute = Math.floor(now.getTime() / 60_000) * 60_000;
    for (let m = 0; m <= days * 1440; m++) {
      const t = new Date(minute - m * 60_000);
      if (task.match(t)) return t;
    }
    return undefined;
  } finally {
    void task.destroy();
  }
}

/** node-cron tasks in the configured time zone; they only enqueue, the queue does the work. */
export class CronScheduler {
  private readonly tasks: ScheduledTask[] = [];

  constructor(private readonly timeZone: string) {}

  add(name: string, expression: string, fire: (at: Date) => Promise<void>): void {
    this.tasks.push(
      cron.schedule(expression, (ctx) => fire(ctx.date), { timezone: this.timeZone, name, noOverlap: true }),
    );
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.destroy();
    this.tasks.length = 0;
  }
}
