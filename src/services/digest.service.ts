import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { inTransaction } from '../db/transactions';
import { crashPoint } from '../ops/crash-points';
import { RenderedMessage, renderMessage } from '../delivery/message-templates';
import { addDays, Day, dayIn } from '../domain/day';
import { IsoWeek, isoWeekOf, mondayOf, weekParts } from '../domain/iso-week';
import { composeLetter, ComposedLetter, IndicatorStanding, LetterProblem } from '../domain/letter-content';
import { letterDay, letterNumber, reportingWindow } from '../domain/letter-schedule';
import { composeSummary } from '../domain/summary-content';
import { WorkingCalendar } from '../domain/working-calendar';
import type { Logger } from '../logger';
import { LetterRepository, LetterUnit, StandingRow, WeekProblemRow } from '../repositories/letter.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import { ProblemRepository } from '../repositories/problem.repository';
import { LedgerEntry, LedgerService } from './ledger.service';

export interface WeekReport {
  week: IsoWeek;
  letterDay: Day;
  /** Letters written by this run (a rerun writes none for units that already have theirs). */
  letters: number;
  /** 待交办 problems this run's letters moved to 整改中. */
  assigned: number;
  /** Units that should have had a letter but have no address, nor is there an operator to pass it on. */
  unaddressed: string[];
  summary: 'written' | 'exists' | 'no recipients';
}

export interface LetterPreview {
  letterNo: string;
  /** Already issued: the message is the one in the outbox, as sent. */
  issued: boolean;
  /** The unit would get a letter this week (something open, or letters to every unit configured). */
  due: boolean;
  to: string[];
  /** 待交办 problems the letter assigns and their deadlines. */
  assignments: ComposedLetter['assignments'];
  message: RenderedMessage;
}

type DigestConfig = Pick<DubanConfig, 'calendar' | 'problems' | 'letters' | 'bureau' | 'templates' | 'delivery' | 'timezone'>;

/** Letters are written this many units to a transaction: enough to be quick, few enough that a transaction stays short. */
const UNITS_PER_TRANSACTION = 200;

/** What one week's letters are made from, read once for every unit. */
interface WeekData {
  week: IsoWeek;
  letterDay: Day;
  window: { from: Day; to: Day };
  dataDay: Day | null;
  units: LetterUnit[];
  problems: Map<string, WeekProblemRow[]>;
  standings: Map<string, StandingRow[]>;
}

/**
 * 周交办: one 交办函 per unit with something open, numbered, written to the outbox in the same transaction that moves
 * its 待交办 problems to 整改中 and records the letter in the ledger; then the director's summary. A rerun of the week
 * (the job twice, two daemons, the CLI) writes nothing twice: the letter is unique per unit and week.
 */
export class DigestService {
  private readonly calendar: WorkingCalendar;

  constructor(private readonly deps: { db: Db; config: DigestConfig; logger: Logger; now?: () => Date }) {
    this.calendar = new WorkingCalendar(deps.config.calendar);
  }

  async issueWeek(week: IsoWeek): Promise<WeekReport> {
    const { config, logger } = this.deps;
    const data = await this.gather(week);
    const due = data.units.filter((u) => config.letters.sendWhenNothingOpen || (data.problems.get(u.code) ?? []).some(isLive));
    const report: WeekReport = { week, letterDay: data.letterDay, letters: 0, assigned: 0, unaddressed: [], summary: 'no recipients' };
    for (let k = 0; k < due.length; k += UNITS_PER_TRANSACTION) {
      const done = await this.issueLetters(data, due.slice(k, k + UNITS_PER_TRANSACTION));
      report.letters += done.letters;
      report.assigned += done.assigned;
      report.unaddressed.push(...done.unaddressed);
      crashPoint('digest.committed');
    }
    if (report.unaddressed.length > 0) logger.warn({ week, units: report.unaddressed }, 'units without an address and no operator: no letter');
    report.summary = await this.writeSummary(data);
    logger.info({ week, letters: report.letters, assigned: report.assigned, summary: report.summary }, 'weekly letters written');
    return report;
  }

  /** The unit's letter for the week as it stands, or as it would be written now; changes nothing. */
  async preview(week: IsoWeek, unitCode: string): Promise<LetterPreview> {
    const data = await this.gather(week, unitCode);
    const unit = data.units[0];
    if (!unit) throw new RangeError(`没有代码为“${unitCode}”的单位`);
    const letters = new LetterRepository(this.deps.db);
    const [issued] = await letters.list(week, unitCode);
    const problems = data.problems.get(unit.code) ?? [];
    const due = this.deps.config.letters.sendWhenNothingOpen || problems.some(isLive);
    if (issued) {
      const stored = (await new OutboxRepository(this.deps.db).get(issued.outbox_id))!;
      return { letterNo: issued.letter_no, issued: true, due, to: stored.to_addresses, assignments: [], message: { subject: stored.subject, html: stored.html, text: stored.text } };
    }
    const letterNo = this.number(week, (await letters.maxSeq(week)) + 1);
    const composed = this.compose(data, unit, letterNo);
    return { letterNo, issued: false, due, to: this.addresses(unit), assignments: composed.assignments, message: renderMessage(this.deps.config.templates.letter, composed.view) };
  }

  private async issueLetters(data: WeekData, units: LetterUnit[]): Promise<{ letters: number; assigned: number; unaddressed: string[] }> {
    const { config } = this.deps;
    return inTransaction(this.deps.db, async (tx) => {
      const letters = new LetterRepository(tx);
      await letters.lockWeek(data.week);
      const issued = await letters.issuedUnitIds(data.week);
      let seq = await letters.maxSeq(data.week);
      const unaddressed: string[] = [];
      const drafts = [];
      for (const unit of units) {
        if (issued.has(unit.id)) continue;
        const to = this.addresses(unit);
        if (to.length === 0) {
          unaddressed.push(unit.code);
          continue;
        }
        const letterNo = this.number(data.week, ++seq);
        const composed = this.compose(data, unit, letterNo);
        drafts.push({ unit, seq, letterNo, to, composed, message: renderMessage(config.templates.letter, composed.view) });
      }
      if (drafts.length === 0) return { letters: 0, assigned: 0, unaddressed };

      const messageIdOf = (code: string) => `<letter-${data.week}-${code}@${config.delivery.messageIdDomain}>`;
      const queued = await new OutboxRepository(tx).enqueue(
        drafts.map((d) => ({ kind: 'letter' as const, recipient_key: d.unit.code, period: data.week, message_id: messageIdOf(d.unit.code), to_addresses: d.to, ...d.message })),
      );
      const outboxIdOf = new Map(queued.map((q) => [q.recipient_key, q.id]));
      const stored = await letters.insert(
        drafts.map((d) => {
          const outboxId = outboxIdOf.get(d.unit.code);
          // The unique letter per unit and week makes this unreachable unless the outbox was edited by hand.
          if (outboxId === undefined) throw new Error(`${data.week} 发给 ${d.unit.code} 的交办函已在发件箱中，但没有对应的函件记录`);
          return {
            week: data.week,
            unit_id: d.unit.id,
            seq: d.seq,
            letter_no: d.letterNo,
            letter_day: data.letterDay,
            outbox_id: outboxId,
            problem_ids: d.composed.problemIds,
            assigned_ids: d.composed.assignments.map((a) => a.problemId),
          };
        }),
      );
      const letterIdOf = new Map(stored.map((s) => [s.unit_id, s.id]));
      const assigned = await new ProblemRepository(tx).assignByLetter(
        data.letterDay,
        drafts.flatMap((d) => d.composed.assignments.map((a) => ({ id: a.problemId, deadline: a.deadline, letterId: letterIdOf.get(d.unit.id)! }))),
      );
      const letterNoOf = new Map(drafts.map((d) => [letterIdOf.get(d.unit.id)!, d.letterNo]));
      const events: LedgerEntry[] = drafts.map((d) => ({
        type: 'letter_issued',
        actor: 'duban',
        unitId: d.unit.id,
        payload: {
          letterNo: d.letterNo,
          week: data.week,
          day: data.letterDay,
          messageId: messageIdOf(d.unit.code),
          problems: d.composed.problemIds,
          assigns: d.composed.assignments.map((a) => a.problemId),
        },
      }));
      for (const a of assigned) {
        events.push({
          type: 'problem_assigned',
          actor: 'duban',
          problemId: String(a.id),
          unitId: a.unit_id,
          indicatorId: a.indicator_id,
          payload: { from: 'open', to: 'assigned', day: data.letterDay, deadline: a.deadline, letterNo: letterNoOf.get(a.letter_id) },
        });
      }
      await new LedgerService(tx).append(events, tx);
      crashPoint('digest.uncommitted');
      return { letters: drafts.length, assigned: assigned.length, unaddressed };
    });
  }

  /** The director's summary, after the letters so that it counts them and shows the problems they assigned. */
  private async writeSummary(data: WeekData): Promise<WeekReport['summary']> {
    const { config } = this.deps;
    if (config.letters.summaryRecipients.length === 0) return 'no recipients';
    const letters = new LetterRepository(this.deps.db);
    const problems = await letters.weekProblems(data.window.from, data.window.to);
    const mondays = [4, 3, 2, 1].map((w) => addDays(mondayOf(data.week), -7 * w));
    const counts = await letters.weeklyCounts(mondays);
    const view = composeSummary({
      week: data.week,
      letterDay: data.letterDay,
      window: data.window,
      dataDay: data.dataDay,
      bureau: config.bureau,
      problems: problems.map((p) => ({ ...letterProblem(p), owner: p.owner_name })),
      lettersIssued: await letters.count(data.week),
      standings: [...data.standings.values()].flat().map((s) => ({ ...standing(s), unit: s.unit_name })),
      trend: counts.map((c) => ({ week: isoWeekOf(c.monday), opened: c.opened, closed: c.closed })),
      calendar: this.calendar,
    });
    const created = await new OutboxRepository(this.deps.db).enqueue([
      {
        kind: 'summary',
        recipient_key: 'director',
        period: data.week,
        message_id: `<summary-${data.week}-director@${config.delivery.messageIdDomain}>`,
        to_addresses: config.letters.summaryRecipients,
        ...renderMessage(config.templates.summary, view),
      },
    ]);
    return created.length > 0 ? 'written' : 'exists';
  }

  private async gather(week: IsoWeek, unitCode?: string): Promise<WeekData> {
    const weekday = this.deps.config.letters.weekday;
    // Dated the day they go out: on the letter day, or later when caught up (deadlines then count from that day, not
    // from a day the unit never had the letter); letters sent ahead of time are dated the letter day.
    const today = dayIn(this.deps.config.timezone, this.deps.now?.() ?? new Date());
    const scheduled = letterDay(this.calendar, week, weekday);
    const day = today > scheduled ? today : scheduled;
    const window = reportingWindow(this.calendar, week, weekday);
    const repo = new LetterRepository(this.deps.db);
    const dataDay = await repo.latestDataDay(day);
    const [units, problems, standings] = await Promise.all([
      repo.units(unitCode),
      repo.weekProblems(window.from, window.to, unitCode),
      dataDay ? repo.standings(dataDay, addDays(dataDay, -7), unitCode) : Promise.resolve([]),
    ]);
    return {
      week,
      letterDay: day,
      window,
      dataDay,
      units,
      problems: groupBy(problems, (p) => p.owner_code),
      standings: groupBy(standings, (s) => s.unit_code),
    };
  }

  private compose(data: WeekData, unit: LetterUnit, letterNo: string): ComposedLetter {
    return composeLetter({
      week: data.week,
      letterNo,
      letterDay: data.letterDay,
      window: data.window,
      dataDay: data.dataDay,
      unit: { code: unit.code, name: unit.name },
      bureau: this.deps.config.bureau,
      problems: (data.problems.get(unit.code) ?? []).map(letterProblem),
      indicators: (data.standings.get(unit.code) ?? []).map(standing),
      calendar: this.calendar,
      deadlines: this.deps.config.problems.deadlines,
    });
  }

  private number(week: IsoWeek, seq: number): string {
    return letterNumber(this.deps.config.letters.serialPattern, { ...weekParts(week), seq });
  }

  /** The unit's contacts; without any, the operator, who passes the letter on. */
  private addresses(unit: LetterUnit): string[] {
    const to = unit.contacts.map((c) => c.email).filter((e): e is string => Boolean(e));
    if (to.length > 0) return to;
    return this.deps.config.delivery.operatorEmail ? [this.deps.config.delivery.operatorEmail] : [];
  }
}

function isLive(p: WeekProblemRow): boolean {
  return p.state === 'open' || p.state === 'assigned' || p.state === 'pending_verification';
}

function letterProblem(p: WeekProblemRow): LetterProblem {
  return {
    id: p.id,
    indicator: p.indicator,
    unit: p.unit,
    category: p.category,
    state: p.state,
    firstSeen: p.first_seen,
    situation: p.situation ?? `${p.unit} ${p.indicator}`,
    assignedOn: p.assigned_on,
    deadline: p.deadline,
    letterNo: p.letter_no,
    closedOn: p.closed_on,
    escalation: p.escalation,
    dataConfirmed: p.data_confirmed,
    signedOffBy: p.signed_off_by,
    respondedOn: p.responded_on,
  };
}

function standing(s: StandingRow): IndicatorStanding {
  return { indicator: s.indicator, measure: s.measure, direction: s.direction, latest: s.latest, weekAgo: s.week_ago, alert: s.alert, rank: s.rank, peers: s.peers };
}

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const list = out.get(key(row));
    if (list) list.push(row);
    else out.set(key(row), [row]);
  }
  return out;
}
