import type { DubanConfig } from '../config/load-config';
import type { Db } from '../db/database';
import type { Day } from '../domain/day';
import { Confirmation, confirmationAnchor, confirmationOf, confirmationWindow } from '../domain/problem-confirmation';
import { AnomalyRepository } from '../repositories/anomaly.repository';
import { IngestRunRepository } from '../repositories/ingest-run.repository';
import { ObservationRepository, SeriesDay } from '../repositories/observation.repository';
import type { ProblemForReconcile } from '../repositories/problem.repository';
import { ProblemRulesConfig, problemRules } from './problem-transitions';

/**
 * Whether the data confirm live problems now (src/domain/problem-confirmation.ts decides): the evidence read in four
 * statements, inside the caller's transaction, whatever the number of problems (the latest day with values; the
 * days of the problems' windows that have none, an anti-join on the primary key; the runs each day's verdict follows
 * and the runs they were judged on). Reconciliation asks it of every live problem; closing a problem asks it again,
 * so that a close never rests on a confirmation the data have since taken back.
 */
export class ConfirmationReader {
  constructor(
    private readonly tx: Db,
    private readonly config: ProblemRulesConfig & Pick<DubanConfig, 'ingest'>,
  ) {}

  /** What the data say of each live problem now: the evidence read, the answer from the domain. */
  async of(live: ProblemForReconcile[]): Promise<Map<number, Confirmation>> {
    const tx = this.tx;
    const { calendar } = problemRules(this.config);
    const n = this.config.problems.confirmWorkingDays;
    const latestData = await new ObservationRepository(tx).latestDay();
    // One window per breach day, not per problem: thousands of problems share a few dozen days.
    const windows = new Map<Day, ReturnType<typeof confirmationWindow>>();
    const windowOf = (breach: Day) => windows.get(breach) ?? windows.set(breach, confirmationWindow(calendar, breach, n, latestData)).get(breach)!;
    const values = live.filter((p) => p.kind === 'value');
    const wanted: SeriesDay[] = values.flatMap((p) =>
      windowOf(confirmationAnchor({ kind: p.kind, latestBreach: p.latest_breach, lastSeen: p.last_seen })).workingDays.map((day) => ({
        indicator_id: p.indicator_id!,
        unit_id: p.unit_id,
        day,
      })),
    );
    const unreported = await new ObservationRepository(tx).missing(wanted);
    const spanDays = [...new Set([...windows.values()].flatMap((w) => w.span))].sort();
    const judged = await this.judgedDays(tx, spanDays);
    return new Map(
      live.map((p) => [
        p.id,
        confirmationOf(
          { kind: p.kind, latestBreach: p.latest_breach, lastSeen: p.last_seen },
          {
            calendar,
            n,
            latestData,
            reported: (d) => !unreported.has(`${p.indicator_id}/${p.unit_id}/${d}`),
            judged: (d) => judged.has(d),
            stillMissing: p.standing,
            windowOf,
          },
        ),
      ]),
    );
  }

  /**
   * Of these days, those judged on their current data: the latest evaluation of the day judged the run its verdict
   * follows now. A day with no values (nothing to judge) counts as judged.
   */
  private async judgedDays(tx: Db, days: Day[]): Promise<Set<Day>> {
    if (days.length === 0) return new Set();
    const verdicts = await new IngestRunRepository(tx).verdictRuns(days[0]!, days.at(-1)!, this.config.ingest.lookbackDays);
    const judged = await new AnomalyRepository(tx).judgedRuns(days);
    return new Set(days.filter((d) => !verdicts.has(d) || (judged.get(d) ?? null) === verdicts.get(d)));
  }
}
