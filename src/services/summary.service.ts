import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { crashPoint } from '../crash-points';
import { renderMessage } from '../delivery/render-message';
import { addDays } from '../domain/day';
import { IsoWeek, isoWeekOf, mondayOf } from '../domain/iso-week';
import { CockpitStanding, cockpitTiles, CockpitTrendPoint, indicatorRankings } from '../domain/cockpit';
import { isLive } from '../domain/problem-state';
import { composeSummary } from '../domain/summary-content';
import { WorkingCalendar } from '../domain/working-calendar';
import type { Logger } from '../logger';
import { CheckpointRepository } from '../repositories/checkpoint.repository';
import { LetterRepository } from '../repositories/letter.repository';
import { ObservationRepository } from '../repositories/observation.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import type { LettersConfig } from './letter.service';
import { UnitDirectory } from './unit-directory';
import { letterProblem, readIndicatorOverview, readStandings, readWeek } from './week-data';

export type SummaryOutcome = 'written' | 'exists' | 'no recipients';

/**
 * The director's summary (调度会材料) of a week, after its letters so that it counts them and shows the problems they
 * assigned: written once to the outbox (one per week, however often asked).
 */
export class SummaryService {
  private readonly calendar: WorkingCalendar;
  private readonly directory: UnitDirectory;

  constructor(private readonly deps: { db: Db; config: LettersConfig & Pick<DubanConfig, 'audit' | 'units'>; logger: Logger; now?: () => Date }) {
    this.calendar = new WorkingCalendar(deps.config.calendar);
    this.directory = new UnitDirectory(deps.config);
  }

  async writeWeek(week: IsoWeek): Promise<SummaryOutcome> {
    const { config, db } = this.deps;
    if (config.letters.summaryRecipients.length === 0) return 'no recipients';
    const { view } = await this.compose(week);
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

  /**
   * The director's cockpit (决策驾驶舱) for a week: the summary's figures, each indicator's tile (city value, 预警值,
   * change on last week, units below), rankings, the 通报 named, and each indicator's city trend over 30 days.
   */
  async cockpit(week: IsoWeek) {
    const { data, view } = await this.compose(week);
    const kinds = new Map(this.deps.config.units.map((u) => [u.code, u.kind]));
    const num = (v: string | null) => (v === null ? null : Number(v));
    const standings: CockpitStanding[] = [...(await readStandings(this.deps.db, data)).values()].flat().map((s) => ({
      unitCode: s.unit_code,
      unitName: s.unit_name,
      unitKind: kinds.get(s.unit_code) ?? 'department',
      indicator: s.indicator,
      measure: s.measure,
      direction: s.direction,
      latest: num(s.latest),
      weekAgo: num(s.week_ago),
      alert: num(s.alert),
      rank: s.rank,
      peers: s.peers,
    }));
    const city = this.deps.config.units.find((u) => u.kind === 'city');
    const to = data.dataDay;
    const series = city && to ? await new ObservationRepository(this.deps.db).series(city.code, undefined, addDays(to, -29), to) : [];
    const trends = new Map<string, CockpitTrendPoint[]>();
    for (const v of series) trends.set(v.indicator, [...(trends.get(v.indicator) ?? []), { day: v.day, value: Number(v.value) }]);
    const notified = [...data.problems.values()]
      .flat()
      .filter((p) => p.escalation === 'notify' && isLive(p.state))
      .map((p) => ({ id: p.id, owner: p.owner_name, indicator: p.indicator, deadline: p.deadline }));
    return {
      week,
      weekLabel: view.weekLabel,
      period: view.period,
      dataDay: data.dataDay,
      city: city?.name ?? null,
      totals: view.totals,
      tiles: cockpitTiles(standings),
      overdueRanking: view.overdueRanking,
      indicatorRankings: indicatorRankings(standings),
      notified,
      trends: [...trends.entries()].map(([indicator, points]) => ({ indicator, points })),
      weeks: view.trend,
    };
  }

  /** The week's data and the summary's view of it: what the mail and the cockpit both show. */
  private async compose(week: IsoWeek) {
    const { config, db } = this.deps;
    const data = await readWeek(db, config, this.calendar, this.deps.now, week);
    const letters = new LetterRepository(db);
    // Read after the week's letters were written, so it shows the problems they assigned.
    const problems = [...data.problems.values()].flat();
    const mondays = [4, 3, 2, 1].map((w) => addDays(mondayOf(week), -7 * w));
    const counts = await letters.weeklyCounts(mondays);
    const city = config.units.find((u) => u.kind === 'city')?.name;
    const view = composeSummary({
      week,
      letterDay: data.letterDay,
      window: data.window,
      dataDay: data.dataDay,
      bureau: config.bureau,
      problems: problems.map((p) => ({ ...letterProblem(p), owner: p.owner_name, ownerWritten: this.directory.receivesLetters({ code: p.owner_code, kind: p.owner_kind }) })),
      lettersIssued: await letters.count(week),
      indicators: await readIndicatorOverview(db, data, city),
      city,
      trend: counts.map((c) => ({ week: isoWeekOf(c.monday), opened: c.opened, closed: c.closed })),
      calendar: this.calendar,
      ladder: config.problems.escalation,
      ...(config.audit.checkpoints ? { checkpoints: await this.checkpoints(data.letterDay) } : {}),
    });
    return { data, view };
  }

  /** The checkpoints of the seven days up to the letter day. */
  private async checkpoints(letterDay: string) {
    const rows = await new CheckpointRepository(this.deps.db).between(addDays(letterDay, -7), letterDay);
    const local = new Intl.DateTimeFormat('sv-SE', { timeZone: this.deps.config.timezone, dateStyle: 'short', timeStyle: 'short' });
    return rows.map((r) => ({ when: local.format(r.made_at), events: r.event_count, head: r.head_hash, key: r.key_id }));
  }
}
