import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { inTransaction } from '../db/transactions';
import { alertNumber, composeAlert } from '../domain/alert-message';
import { describeFact } from '../domain/anomaly-explanation';
import { crashPoint } from '../crash-points';
import { renderMessage } from '../delivery/render-message';
import type { ReplyLinkMaker } from './access.service';
import { Day, dayIn } from '../domain/day';
import { groupBy } from '../domain/group-by';
import { WorkingCalendar } from '../domain/working-calendar';
import type { Logger } from '../logger';
import { AlertRepository } from '../repositories/alert.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import { UnitDirectory } from './unit-directory';

/**
 * 第一时间反馈: after a day is judged, one 督办通知 per responsible unit listing its problems with a major anomaly that
 * day, one line each, to the unit's contacts with the operator in copy, numbered, with the day by which to answer. The
 * outbox keeps it to one per unit and day however often the day is judged. The city as a whole and the bureau itself
 * are not written to (letters.unitKinds, bureau.unit): their notice goes to the operator alone.
 */
export class AlertService {
  private readonly calendar: WorkingCalendar;
  private readonly directory: UnitDirectory;

  constructor(
    private readonly deps: {
      db: Db;
      config: Pick<DubanConfig, 'delivery' | 'bureau' | 'templates' | 'alerts' | 'calendar' | 'timezone' | 'units' | 'letters'>;
      logger: Logger;
      now?: () => Date;
      /** A unit's signed reply link for the alert's day; absent, alerts carry none. */
      replyLink?: ReplyLinkMaker;
    },
  ) {
    this.calendar = new WorkingCalendar(deps.config.calendar);
    this.directory = new UnitDirectory(deps.config);
  }

  async writeForDay(day: Day): Promise<{ alerts: number }> {
    const { config } = this.deps;
    const { delivery } = config;
    const byUnit = groupBy(await new AlertRepository(this.deps.db).majorProblems(day), (a) => a.unit_code);
    // Dated the day it is written: a day judged again later (a revision, a catch-up) gets a notice dated then, and its
    // 核查时限 counts from then.
    const today = dayIn(config.timezone, this.deps.now?.() ?? new Date());
    const writtenOn = today > day ? today : day;

    return inTransaction(this.deps.db, async (tx) => {
      const outbox = new OutboxRepository(tx);
      const alerts = new AlertRepository(tx);
      // Numbers are handed out in order under a lock, after those already written for the day.
      await alerts.lockDay(day);
      const written = new Set(await alerts.recipientsOn(day));
      let seq = written.size;
      const messages = [];
      for (const [code, items] of byUnit) {
        if (written.has(code)) continue;
        const cc = delivery.operatorEmail ? [delivery.operatorEmail] : [];
        const own = items[0]!.contacts.map((c) => c.email).filter((e): e is string => Boolean(e));
        const inside = !this.directory.receivesLetters({ code, kind: items[0]!.unit_kind });
        // A unit not written to (the city, the bureau itself) has its notice go to the operator alone.
        const to = inside ? cc : own.length > 0 ? own : cc;
        if (to.length === 0) {
          this.deps.logger.warn({ unit: code, day }, 'major anomalies but no contact address: alert not sent');
          continue;
        }
        const copies = [...(to === own ? cc : []), ...(inside ? [] : this.directory.copyAddresses(code))].filter((a) => !to.includes(a));
        const view = composeAlert({
          unitName: items[0]!.unit_name,
          addressing: this.directory.addressing(code, items[0]!.unit_name),
          day,
          writtenOn,
          docNo: alertNumber(config.alerts.serialPattern, day, ++seq),
          checkWorkingDays: config.alerts.checkWorkingDays,
          calendar: this.calendar,
          bureau: config.bureau,
          items: items.map((a) => ({ indicator: a.indicator, explanation: describeFact(a.facts), problemId: a.problem_id })),
          reply: inside ? undefined : this.deps.replyLink?.(code, day, writtenOn),
        });
        messages.push({
          kind: 'alert' as const,
          recipient_key: code,
          period: day,
          message_id: `<alert-${day}-${code}@${delivery.messageIdDomain}>`,
          to_addresses: to,
          cc_addresses: [...new Set(copies)],
          ...renderMessage(config.templates.alert, view),
        });
      }
      const created = await outbox.insert(messages);
      crashPoint('alerts.written');
      return { alerts: created.length };
    });
  }
}
