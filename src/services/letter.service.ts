import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import { inTransaction } from '../db/transactions';
import { crashPoint } from '../crash-points';
import { RenderedMessage, renderMessage } from '../delivery/render-message';
import type { ReplyLinkMaker } from './access.service';
import type { Day } from '../domain/day';
import { IsoWeek, weekParts } from '../domain/iso-week';
import { composeLetter, ComposedLetter } from '../domain/letter-content';
import type { LetterEvent } from '../domain/ledger-events';
import { letterNumber } from '../domain/letter-schedule';
import { isLive } from '../domain/problem-state';
import { WorkingCalendar } from '../domain/working-calendar';
import type { Logger } from '../logger';
import { IssuedLetter, LetterRepository, LetterUnit, StandingRow, WeekProblemRow } from '../repositories/letter.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import { ProblemRepository } from '../repositories/problem.repository';
import { LedgerService } from './ledger.service';
import { ProblemTransitions } from './problem-transitions';
import { UnitDirectory } from './unit-directory';
import { letterProblem, readStandings, readWeek, standing, WeekData } from './week-data';

export interface WeekReport {
  week: IsoWeek;
  letterDay: Day;
  /** Letters written by this run (a rerun writes none for units that already have theirs). */
  letters: number;
  /** 待交办 problems this run's letters moved to 整改中. */
  assigned: number;
  /** Units that should have had a letter but have no address, nor is there an operator to pass it on. */
  unaddressed: string[];
}

export interface LetterPreview {
  letterNo: string;
  /** Already issued: the message is the one in the outbox, as sent. */
  issued: boolean;
  /** The unit would get a letter this week (something open, or letters to every unit configured). */
  due: boolean;
  /** The unit is one letters go to at all (letters.unitKinds, not the bureau itself). */
  writtenTo: boolean;
  to: string[];
  /** 待交办 problems the letter assigns and their deadlines. */
  assignments: ComposedLetter['assignments'];
  message: RenderedMessage;
}

export type LettersConfig = Pick<DubanConfig, 'calendar' | 'problems' | 'letters' | 'bureau' | 'templates' | 'delivery' | 'timezone' | 'units'>;

/**
 * Letters are written 1,000 units to a transaction (enough to be quick, few enough that a transaction stays short),
 * composed and rendered 100 at a time within it and queued before the next are rendered: their rendered text is most of
 * what writing them holds in memory.
 */
const BATCHES = { unitsPerTransaction: 1000, renderedAtOnce: 100 };

/**
 * 周交办: one 交办函 per unit with something open, numbered, written to the outbox in the same transaction that moves
 * its 待交办 problems to 整改中 and records the letter in the ledger. A rerun of the week (the step twice, two daemons,
 * the CLI) writes nothing twice: the letter is unique per unit and week. The director's summary is the next step.
 */
export class LetterService {
  private readonly calendar: WorkingCalendar;
  private readonly directory: UnitDirectory;

  constructor(
    private readonly deps: {
      db: Db;
      config: LettersConfig;
      logger: Logger;
      now?: () => Date;
      /** A unit's signed reply link for a period (src/services/access.service.ts); absent, letters carry none. */
      replyLink?: ReplyLinkMaker;
      /** Smaller batches, for tests that cross their boundaries with a few units. */
      batches?: typeof BATCHES;
    },
  ) {
    this.calendar = new WorkingCalendar(deps.config.calendar);
    this.directory = new UnitDirectory(deps.config);
  }

  async issueWeek(week: IsoWeek): Promise<WeekReport> {
    const { logger } = this.deps;
    const data = await this.gather(week);
    const due = data.units.filter((u) => this.isDue(u, data.problems.get(u.code) ?? []));
    // Only the units written to: their standings are ranked among every unit, but read out for them alone.
    const standings = await readStandings(this.deps.db, data, due.map((u) => u.code));
    const report: WeekReport = { week, letterDay: data.letterDay, letters: 0, assigned: 0, unaddressed: [] };
    const { unitsPerTransaction } = this.deps.batches ?? BATCHES;
    for (let k = 0; k < due.length; k += unitsPerTransaction) {
      const done = await this.issueLetters(data, standings, due.slice(k, k + unitsPerTransaction));
      report.letters += done.letters;
      report.assigned += done.assigned;
      report.unaddressed.push(...done.unaddressed);
      crashPoint('letters.committed');
    }
    if (report.unaddressed.length > 0) logger.warn({ week, units: report.unaddressed }, 'units without an address and no operator: no letter');
    logger.info({ week, letters: report.letters, assigned: report.assigned }, 'weekly letters written');
    return report;
  }

  /** The unit's letter for the week as it stands, or as it would be written now; changes nothing. */
  async preview(week: IsoWeek, unitCode: string): Promise<LetterPreview> {
    const data = await this.gather(week, unitCode);
    const unit = data.units[0];
    if (!unit) throw new RangeError(`没有代码为“${unitCode}”的单位`);
    const letters = new LetterRepository(this.deps.db);
    const [issued] = await letters.list(week, unitCode);
    const due = this.isDue(unit, data.problems.get(unit.code) ?? []);
    const writtenTo = this.directory.receivesLetters(unit);
    if (issued) {
      const stored = (await new OutboxRepository(this.deps.db).get(issued.outbox_id))!;
      return { letterNo: issued.letter_no, issued: true, due, writtenTo, to: stored.to_addresses, assignments: [], message: { subject: stored.subject, html: stored.html, text: stored.text } };
    }
    const letterNo = this.number(week, (await letters.maxSeq(week)) + 1);
    const composed = this.compose(data, await readStandings(this.deps.db, data, [unit.code]), unit, letterNo);
    return { letterNo, issued: false, due, writtenTo, to: this.addresses(unit), assignments: composed.assignments, message: renderMessage(this.deps.config.templates.letter, composed.view) };
  }

  /**
   * A unit gets the week's letter when it is one that is written to (letters.unitKinds, not the bureau itself) and has
   * something open, or letters go to every such unit.
   */
  private isDue(unit: LetterUnit, problems: readonly WeekProblemRow[]): boolean {
    if (!this.directory.receivesLetters(unit)) return false;
    return this.deps.config.letters.sendWhenNothingOpen || problems.some((p) => isLive(p.state));
  }

  private async issueLetters(data: WeekData, standings: Map<string, StandingRow[]>, units: LetterUnit[]): Promise<{ letters: number; assigned: number; unaddressed: string[] }> {
    const { config } = this.deps;
    return inTransaction(this.deps.db, async (tx) => {
      const letters = new LetterRepository(tx);
      await letters.lockWeek(data.week);
      const issued = await letters.issuedUnitIds(data.week);
      let seq = await letters.maxSeq(data.week);
      const unaddressed: string[] = [];
      const numbered: Array<{ unit: LetterUnit; seq: number; letterNo: string; to: string[] }> = [];
      for (const unit of units) {
        if (issued.has(unit.id)) continue;
        const to = this.addresses(unit);
        if (to.length === 0) {
          unaddressed.push(unit.code);
          continue;
        }
        numbered.push({ unit, seq: ++seq, letterNo: this.number(data.week, seq), to });
      }
      if (numbered.length === 0) return { letters: 0, assigned: 0, unaddressed };

      // Composed, rendered and queued a few at a time (BATCHES): once queued, only a letter's outbox id and problem ids
      // are kept.
      const { renderedAtOnce } = this.deps.batches ?? BATCHES;
      const messageIdOf = (code: string) => `<letter-${data.week}-${code}@${config.delivery.messageIdDomain}>`;
      const outbox = new OutboxRepository(tx);
      const drafts: Array<(typeof numbered)[number] & { outboxId: number; problemIds: number[]; assignedIds: number[] }> = [];
      for (let k = 0; k < numbered.length; k += renderedAtOnce) {
        const rendered = numbered.slice(k, k + renderedAtOnce).map((d) => {
          const composed = this.compose(data, standings, d.unit, d.letterNo);
          return { ...d, problemIds: composed.problemIds, assignedIds: composed.assignments.map((a) => a.problemId), message: renderMessage(config.templates.letter, composed.view) };
        });
        const queued = await outbox.insert(
          rendered.map((d) => ({
            kind: 'letter' as const,
            recipient_key: d.unit.code,
            period: data.week,
            message_id: messageIdOf(d.unit.code),
            to_addresses: d.to,
            cc_addresses: this.directory.copyAddresses(d.unit.code).filter((a) => !d.to.includes(a)),
            ...d.message,
          })),
        );
        const outboxIdOf = new Map(queued.map((q) => [q.recipient_key, q.id]));
        for (const { message: _message, ...d } of rendered) {
          const outboxId = outboxIdOf.get(d.unit.code);
          // The unique letter per unit and week makes this unreachable unless the outbox was edited by hand.
          if (outboxId === undefined) throw new Error(`${data.week} 发给 ${d.unit.code} 的交办函已在发件箱中，但没有对应的函件记录`);
          drafts.push({ ...d, outboxId });
        }
      }
      const stored = await letters.insert(
        drafts.map((d) => ({
          week: data.week,
          unit_id: d.unit.id,
          seq: d.seq,
          letter_no: d.letterNo,
          letter_day: data.letterDay,
          outbox_id: d.outboxId,
          problem_ids: d.problemIds,
          assigned_ids: d.assignedIds,
        })),
      );
      const letterIdOf = new Map(stored.map((s) => [s.unit_id, s.id]));
      const letterEvents: Array<LetterEvent & { actor: string; unitId: number }> = drafts.map((d) => ({
        type: 'letter_issued',
        actor: 'duban',
        unitId: d.unit.id,
        payload: {
          letterNo: d.letterNo,
          week: data.week,
          day: data.letterDay,
          messageId: messageIdOf(d.unit.code),
          problems: d.problemIds,
          assigns: d.assignedIds,
        },
      }));
      await new LedgerService(tx).append(letterEvents, tx);
      // The listed 待交办 problems, as they stand now: one assigned by hand meanwhile is left as it is.
      const letterOf = new Map(drafts.flatMap((d) => d.assignedIds.map((id) => [id, { id: letterIdOf.get(d.unit.id)!, no: d.letterNo }] as const)));
      const transitions = new ProblemTransitions(tx, config);
      const open = await new ProblemRepository(tx).lockOpen([...letterOf.keys()]);
      const assigned = await transitions.apply(
        open,
        (p) => ({ type: 'assign_by_letter', day: data.letterDay, letterId: letterOf.get(p.id)!.id, letterNo: letterOf.get(p.id)!.no }),
        'duban',
      );
      crashPoint('letters.uncommitted');
      return { letters: drafts.length, assigned: assigned.length, unaddressed };
    });
  }

  private gather(week: IsoWeek, unitCode?: string): Promise<WeekData> {
    return readWeek(this.deps.db, this.deps.config, this.calendar, this.deps.now, week, unitCode);
  }

  /** The week's letters with their delivery, in number order. */
  list(week: IsoWeek, unitCode?: string): Promise<IssuedLetter[]> {
    return new LetterRepository(this.deps.db).list(week, unitCode);
  }

  private compose(data: WeekData, standings: Map<string, StandingRow[]>, unit: LetterUnit, letterNo: string): ComposedLetter {
    return composeLetter({
      week: data.week,
      letterNo,
      letterDay: data.letterDay,
      window: data.window,
      dataDay: data.dataDay,
      unit: { code: unit.code, name: unit.name },
      addressing: this.directory.addressing(unit.code, unit.name),
      bureau: this.deps.config.bureau,
      decisionClause: this.deps.config.letters.decisionClause,
      // The unit's signed reply link for the week, when links are configured.
      reply: this.deps.replyLink?.(unit.code, data.week, data.letterDay),
      problems: (data.problems.get(unit.code) ?? []).map(letterProblem),
      indicators: (standings.get(unit.code) ?? []).map(standing),
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
