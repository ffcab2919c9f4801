import type { StepHandler } from './step-handler';

/** 第一时间反馈: a judged day's major anomalies reach their owners the same day; the relay is woken for them. */
export const alerts = (async (ctx, data) => {
  const written = await ctx.services.alerts.writeForDay(data.day);
  const wake = { reason: `alerts-${data.day}-r${data.afterRun}${data.rerun ? `-${data.rerun}` : ''}` };
  return { result: written, next: written.alerts > 0 ? [{ step: 'deliver' as const, data: wake }] : [] };
}) satisfies StepHandler<'alerts'>;
