import type { Day } from './day';
import { type Addressing, type Bureau, contactLine, type ReplyRoute } from './letter-content';
import { chineseDate } from './letter-schedule';
import type { WorkingCalendar } from './working-calendar';

/** One major anomaly of the day, as the same-day 督办通知 lists it. */
export interface AlertItem {
  indicator: string;
  explanation: string;
  problemId: number | null;
}

export interface AlertInput {
  unitName: string;
  addressing: Addressing;
  /** The monitoring day the anomalies were found on. */
  day: Day;
  /** The day the notice is written, from which the 核查时限 counts. */
  writtenOn: Day;
  docNo: string;
  /** Working days the unit has to check and answer (alerts.checkWorkingDays). */
  checkWorkingDays: number;
  calendar: WorkingCalendar;
  bureau: Bureau;
  items: AlertItem[];
  reply?: ReplyRoute | undefined;
}

/**
 * A notice's 文号 from the bureau's pattern: {year}, {month} and {day} of the monitoring day (two digits each), {seq}
 * its place among that day's notices. 宣数督通〔{year}〕{month}{day}-{seq}号 → 宣数督通〔2026〕1120-03号.
 */
export function alertNumber(pattern: string, day: Day, seq: number): string {
  return pattern
    .replaceAll('{year}', day.slice(0, 4))
    .replaceAll('{month}', day.slice(5, 7))
    .replaceAll('{day}', day.slice(8, 10))
    .replaceAll('{seq}', String(seq).padStart(2, '0'));
}

/**
 * What the 督办通知 (the same-day alert of a major anomaly) says: a short document in the letters' form, with its
 * 文号, the anomalies, by when the unit is to check them (核查时限, in working days) and the date it is written.
 */
export function composeAlert(a: AlertInput) {
  const deadline = a.calendar.addWorkingDays(a.writtenOn, a.checkWorkingDays);
  return {
    docNo: a.docNo,
    title: `关于${a.unitName}政务服务指标重大异常的督办通知`,
    unit: { name: a.unitName },
    addressee: a.addressing.addressee,
    copyTo: a.addressing.copyTo.length > 0 ? `${a.addressing.copyTo.join('，')}。` : '',
    day: chineseDate(a.day),
    date: chineseDate(a.writtenOn),
    deadline: chineseDate(deadline),
    checkWorkingDays: a.checkWorkingDays,
    count: a.items.length,
    bureau: a.bureau,
    issuer: `${a.bureau.name}${a.bureau.office}`,
    contact: contactLine(a.bureau),
    reply: a.reply ? { url: a.reply.url, until: chineseDate(a.reply.until) } : null,
    items: a.items.map((it, k) => ({ seq: k + 1, ...it })),
  };
}
