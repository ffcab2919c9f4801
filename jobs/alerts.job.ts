import type { StepHandler } from './step-handler';

/** 第一时间反馈: a judged day's major anomalies reach their owners the same day; the relay is woken for them. */
export const alerts = (async (ctx, data) => {
  // A backfilled day before go-live is judged and recorded, but its same-day alerts would be weeks late.
  if (await ctx.services.goLive.holdsAlertsFor(data.day)) {
    ctx.logger.info({ day: data.day }, 'same-day alerts held back: the day is before go-live');
    return { result: { alerts: 0, heldBack: true }, next: [] };
  }
  const written = await ctx.services.alerts.writeForDay(data.day);
  const wake = { reason: `alerts-${data.day}-r${data.afterRun}${data.rerun ? `-${data.rerun}` : ''}` };
  return { result: { ...written, heldBack: false }, next: written.alerts > 0 ? [{ step: 'deliver' as const, data: wake }] : [] };
}) satisfies StepHandler<'alerts'>;
