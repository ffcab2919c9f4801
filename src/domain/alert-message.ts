import type { Day } from './day';
import type { Bureau } from './letter-content';

/** One major anomaly of the day, as the same-day alert (重大异常) lists it. */
export interface AlertItem {
  indicator: string;
  explanation: string;
  problemId: number | null;
}

/** What the alert templates place: the unit, the day and its numbered anomalies. */
export function composeAlert(a: { unitName: string; day: Day; items: AlertItem[]; bureau: Bureau }) {
  return {
    unit: { name: a.unitName },
    day: a.day,
    count: a.items.length,
    bureau: a.bureau,
    items: a.items.map((it, k) => ({ seq: k + 1, ...it })),
  };
}
