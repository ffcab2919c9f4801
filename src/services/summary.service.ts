import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { crashPoint } from '../crash-points';
import { renderMessage } from '../delivery/render-message';
import { addDays } from '../domain/day';
import { IsoWeek, isoWeekOf, mondayOf } from '../domain/iso-week';
import { composeSummary } from '../domain/summary-content';
import { WorkingCalendar } from '../domain/working-calendar';
import type { Logger } from '../logger';
import { CheckpointRepository } from '../repositories/checkpoint.repository';
import { LetterRepository } from '../repositories/letter.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import type { LettersConfig } from './letter.service';
import { letterProblem, readWeek, standing } from './week-data';

export type SummaryOutcome = 'written' | 'exists' | 'no recipients';

/**
 * The director's summary (调度会材料) of a week, after its letters so that it counts them and shows the problems they
 * assigned: written once to the outbox (one per week, however often asked).
 */
export class SummaryService {
  private readonly calendar: WorkingCalendar;

  constructor(private readonly deps: { db: Db; config: LettersConfig & Pick<DubanConfig, 'audit'>; logger: Logger; now?: () => Date }) {
    this.calendar = new WorkingCalendar(deps.config.calendar);
  }

  async writeWeek(week: IsoWeek): Promise<SummaryOutcome> {
    const { config, db } = this.deps;
    if (config.letters.summaryRecipients.length === 0) return 'no recipients';
    const data = await readWeek(db, config, this.calendar, this.deps.now, week);
    const letters = new LetterRepository(db);
    // Read after the week's letters were written, so it shows the problems they assigned.
    const problems = [...data.problems.values()].flat();
    const mondays = [4, 3, 2, 1].map((w) => addDays(mondayOf(week), -7 * w));
    const counts = await letters.weeklyCounts(mondays);
    const view = composeSummary({
      week,
      letterDay: data.letterDay,
      window: data.window,
      dataDay: data.dataDay,
      bureau: config.bureau,
      problems: problems.map((p) => ({ ...letterProblem(p), owner: p.owner_name })),
      lettersIssued: await letters.count(week),
      standings: [...data.standings.values()].flat().map((s) => ({ ...standing(s), unit: s.unit_name })),
      trend: counts.map((c) => ({ week: isoWeekOf(c.monday), opened: c.opened, closed: c.closed })),
      calendar: this.calendar,
      ...(config.audit.checkpoints ? { checkpoints: await this.checkpoints(data.letterDay) } : {}),
    });
    const created = await new OutboxRepository(db).insert([
      {
        kind: 'summary',
        recipient_key: 'director',
        period: week,
        message_id: `<summary-${week}-director@${config.delivery.messageIdDomain}>`,
        to_addresses: config.letters.summaryRecipients,
        ...renderMessage(config.templates.summary, view),
      },
    ]);
    crashPoint('summary.written');
    const outcome = created.length > 0 ? 'written' : 'exists';
    this.deps.logger.info({ week, summary: outcome }, 'director’s summary');
    return outcome;
  }

  /** The checkpoints of the seven days up to the letter day. */
  private async checkpoints(letterDay: string) {
    const rows = await new CheckpointRepository(this.deps.db).between(addDays(letterDay, -7), letterDay);
    const local = new Intl.DateTimeFormat('sv-SE', { timeZone: this.deps.config.timezone, dateStyle: 'short', timeStyle: 'short' });
    return rows.map((r) => ({ when: local.format(r.made_at), events: r.event_count, head: r.head_hash, key: r.key_id }));
  }
}
