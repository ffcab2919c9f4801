import { z } from 'zod';
import type { DubanConfig } from '../src/config/load-config';
import { addDays, Day, dayIn, isDay } from '../src/domain/day';
import { parseIsoWeek } from '../src/domain/iso-week';
import { weekDueOn } from '../src/domain/letter-schedule';
import { WorkingCalendar } from '../src/domain/working-calendar';

/**
 * The pipeline, declared once: every step duban runs, what it works on (its slot), what it is given (its payload),
 * which steps come before it and which it sets off, when the clock starts it, what the sweep expects of it, and how
 * it tells that a run has been overtaken. The job runner, the queue, the order of the days' work, the sweep, the cron
 * registration, the CLI commands that run a step, the metrics and docs/architecture.md all derive from this table;
 * each step's work is its handler in `jobs/<step>.job.ts`, registered in `jobs/handlers.ts`.
 */

/** What a step's declaration may ask about the state of the pipeline (the runtime answers from Postgres). */
export interface PipelineView {
  readonly config: DubanConfig;
  now(): Date;
  /** The days the daemon keeps complete: `ingest.lookbackDays` up to the day the latest scheduled ingest took in. */
  lookback(): Day[];
  /** For each day from `from` to `to` that has values, the ingest run its verdict follows (see `verdictRuns`). */
  verdictRuns(from: Day, to: Day): Promise<Map<Day, number>>;
  /** Which of these slots of a step have succeeded. */
  succeeded(step: string, slots: string[]): Promise<Set<string>>;
  /** Whether a message of the outbox is due that no relay holds. */
  anyMessageDue(): Promise<boolean>;
  /** The latest time at or before now that the step's schedule fired. */
  lastTick(step: string): Date | undefined;
  /** Whether letters whose schedule fired at `tick` came before go-live, and so wait for a person to send them. */
  lettersHeldBack(tick: Date): Promise<boolean>;
}

export interface StepSpec<Data, Trigger extends string = string, Follow extends string = string> {
  /** What the step does, in one English line (docs/architecture.md). */
  summary: string;
  /** Its name as the bureau reads it (the CLI's report of a run). */
  label: string;
  /** Checked when a job is taken off the queue: Redis holds JSON, the handler gets exactly this. */
  payload: z.ZodType<Data>;
  /** A payload as the step gets it, for docs/architecture.md and the declaration's own checks. */
  example: Data;
  /** What one run works on, e.g. a day; with the step's name it makes the BullMQ job id and the job_runs key. */
  slot(data: Data): string;
  /** Steps whose work this one reads, so must be done first: on the same slot, or for the days, on earlier days too. */
  follows: readonly Follow[];
  /** Steps it may set off when it succeeds; its handler names the slots. */
  triggers: readonly Trigger[];
  /**
   * Where it stands in the one order of the work: `day` steps run after the missing steps of lower rank (by
   * `follows`) on any day and those of equal rank on earlier days; `after-days` steps wait for other daemons to be
   * quiet and every day step of the look-back to be done; `none` is free.
   */
  order: 'day' | 'after-days' | 'none';
  /** The day a `day` step works on. */
  day?(data: Data): Day;
  /** Whether the run is still worth doing: a reason it was overtaken, or undefined. An overtaken run succeeds doing nothing. */
  current?(view: PipelineView, data: Data): Promise<string | undefined>;
  /** The slots that should have succeeded by now; the sweep enqueues those that have not. */
  due?(view: PipelineView): Promise<Data[]>;
  /** When the clock starts it: a cron expression in the configured zone, and what for (nothing when no slot is due at that tick). */
  schedule?: { cron(config: DubanConfig): string; dataAt(config: DubanConfig, fireTime: Date): Data | undefined };
  /** BullMQ attempts before the job is failed (the sweep tries a failed slot again later). */
  attempts(config: DubanConfig): number;
  /** Taken only when no job without a priority waits (higher is later). */
  priority?: number;
  /** `queue`: one run per slot among all daemons, through BullMQ and job_runs. `each-daemon`: every daemon runs it in-process at its tick. */
  runs: 'queue' | 'each-daemon';
}

function step<P extends z.ZodType, T extends string, F extends string>(spec: StepSpec<z.infer<P>, T, F> & { payload: P }): StepSpec<z.infer<P>, T, F> & { payload: P } {
  return spec;
}

const dayText = z.string().refine(isDay, '不是有效日期（应为 YYYY-MM-DD）');
/** A manual run of a slot that already succeeded (the CLI re-running a day) is a slot of its own: `<slot>-<rerun>`. */
// To the millisecond (earlier ones to the second): two reruns of a day by a script within one second are still two.
const rerun = z.string().regex(/^m\d{8}T\d{6}(\d{3})?$/).optional();
const withRerun = (slot: string, tag: string | undefined) => (tag ? `${slot}-${tag}` : slot);

/** A verdict: a day judged after the newest ingest run that changed it or a day its rules compare it with. */
const verdict = z.object({ day: dayText, afterRun: z.number().int().positive(), rerun });
type Verdict = z.infer<typeof verdict>;
const verdictSlot = (d: Verdict) => withRerun(`${d.day}-r${d.afterRun}`, d.rerun);
const isWeek = (w: string) => {
  try {
    return parseIsoWeek(w) === w;
  } catch {
    return false;
  }
};
const week = z.object({ week: z.string().refine(isWeek, '不是有效的 ISO 周（应为 YYYY-Www，如 2026-W48）') });

/** A verdict is overtaken once a newer run changed its day or the days it compares with. */
async function verdictCurrent(view: PipelineView, d: Verdict): Promise<string | undefined> {
  const current = (await view.verdictRuns(d.day, d.day)).get(d.day);
  return current !== undefined && current !== d.afterRun ? `superseded by ${d.day}-r${current}` : undefined;
}

/** What the steps on a verdict share: the payload, slot, place in the order and the overtaken check. */
const verdictStep = {
  payload: verdict,
  example: { day: '2026-11-26', afterRun: 31 },
  slot: verdictSlot,
  order: 'day' as const,
  day: (d: Verdict) => d.day,
  current: verdictCurrent,
  attempts: (config: DubanConfig) => config.ingest.attempts,
  runs: 'queue' as const,
};

/** The look-back's verdicts, each after the run it follows; `after`: only those whose step `after` succeeded. */
async function dueVerdicts(view: PipelineView, after?: string): Promise<Verdict[]> {
  const days = view.lookback();
  if (days.length === 0) return [];
  const verdicts = [...(await view.verdictRuns(days[0]!, days.at(-1)!))].map(([day, afterRun]) => ({ day, afterRun }));
  if (!after) return verdicts;
  const done = await view.succeeded(after, verdicts.map(verdictSlot));
  return verdicts.filter((v) => done.has(verdictSlot(v)));
}

/** The week whose letters are due at a tick of the letters' schedule, if any. */
function lettersWeekAt(config: DubanConfig, fireTime: Date): { week: string } | undefined {
  const due = weekDueOn(new WorkingCalendar(config.calendar), dayIn(config.timezone, fireTime), config.letters.weekday);
  return due ? { week: due } : undefined;
}

/** The week whose letters were due at their schedule's latest tick; `after`: only once that step succeeded for it. */
async function dueWeek(view: PipelineView, after?: string): Promise<Array<{ week: string }>> {
  const at = view.lastTick('letters');
  const due = at && lettersWeekAt(view.config, at);
  if (!due || (after && !(await view.succeeded(after, [due.week])).has(due.week))) return [];
  // A week due before go-live is sent by hand (`duban letters send --week`), not caught up by a first start.
  if (!after && (await view.lettersHeldBack(at))) return [];
  return [due];
}

/** Slots named by the wall clock, for wake-ups: e.g. 20261127T083500 (UTC, never repeats, no colon for BullMQ ids). */
const tick = (at: Date) => at.toISOString().slice(0, 19).replace(/[-:]/g, '');

export const STEPS = {
  ingest: step({
    summary: "takes in every configured source's values for one day (日监测, part 1)",
    label: '采集',
    example: { day: '2026-11-26', trigger: 'daemon' },
    payload: z.object({ day: dayText, trigger: z.string().default('daemon'), source: z.string().optional(), file: z.string().optional(), rerun }),
    slot: (d) => withRerun(d.day, d.rerun),
    follows: [],
    triggers: ['evaluate'],
    order: 'day',
    day: (d) => d.day,
    due: async (view) => view.lookback().map((day) => ({ day, trigger: 'backfill' })),
    schedule: {
      cron: (config) => config.ingest.schedule,
      // Case data are T+1: the run on the 28th takes in the 27th.
      dataAt: (config, fireTime) => ({ day: addDays(dayIn(config.timezone, fireTime), -config.ingest.lagDays), trigger: 'daemon' }),
    },
    attempts: (config) => config.ingest.attempts,
    runs: 'queue',
  }),
  evaluate: step({
    ...verdictStep,
    summary: 'judges a day with the rules in force on it and turns its anomalies into problems (日监测, part 2)',
    label: '评估',
    follows: ['ingest'],
    triggers: ['reconcile', 'alerts'],
    due: (view) => dueVerdicts(view),
  }),
  reconcile: step({
    ...verdictStep,
    summary: 'confirms recoveries, catches regressions and steps overdue problems up the ladder (对账)',
    label: '对账',
    follows: ['evaluate'],
    triggers: [],
    due: (view) => dueVerdicts(view, 'evaluate'),
  }),
  alerts: step({
    ...verdictStep,
    summary: "writes the day's same-day alerts of major anomalies to the outbox (第一时间反馈)",
    label: '预警',
    follows: ['evaluate'],
    triggers: ['deliver'],
    due: (view) => dueVerdicts(view, 'evaluate'),
  }),
  letters: step({
    summary: "writes the week's 交办函, assigning the problems they list (周交办)",
    label: '交办函',
    example: { week: '2026-W48' },
    payload: week,
    slot: (d) => d.week,
    follows: ['reconcile', 'alerts'],
    triggers: ['summary'],
    order: 'after-days',
    // The cron fires daily at the letter time and a week is due from its letter day on: a holiday Monday moves the
    // letters to the next working day, and a daemon down on the day catches up.
    schedule: {
      cron: (config) => {
        const [hour, minute] = config.letters.time.split(':').map(Number);
        return `${minute} ${hour} * * *`;
      },
      dataAt: lettersWeekAt,
    },
    due: async (view) => dueWeek(view),
    attempts: (config) => config.ingest.attempts,
    priority: 10,
    runs: 'queue',
  }),
  summary: step({
    summary: "writes the director's summary of the week (调度会材料)",
    label: '调度会材料',
    example: { week: '2026-W48' },
    payload: week,
    slot: (d) => d.week,
    follows: ['letters'],
    triggers: ['deliver'],
    order: 'after-days',
    due: (view) => dueWeek(view, 'letters'),
    attempts: (config) => config.ingest.attempts,
    priority: 10,
    runs: 'queue',
  }),
  checkpoint: step({
    summary: "signs the ledger's head and keeps it out of the database's reach: the checkpoint file and the auditors' mail",
    label: '台账检查点',
    example: { day: '2026-11-26' },
    payload: z.object({ day: dayText }),
    slot: (d) => d.day,
    follows: [],
    triggers: ['deliver'],
    order: 'none',
    schedule: {
      cron: (config) => {
        const [hour, minute] = (config.audit.checkpoints?.time ?? '23:30').split(':').map(Number);
        return `${minute} ${hour} * * *`;
      },
      dataAt: (config, fireTime) => (config.audit.checkpoints ? { day: dayIn(config.timezone, fireTime) } : undefined),
    },
    // Today's, once its time has come: a daemon that was down makes it when it comes back.
    due: async (view) => {
      const at = view.lastTick('checkpoint');
      if (!view.config.audit.checkpoints || !at) return [];
      const day = dayIn(view.config.timezone, at);
      return (await view.succeeded('checkpoint', [day])).has(day) ? [] : [{ day }];
    },
    attempts: (config) => config.ingest.attempts,
    priority: 10,
    runs: 'queue',
  }),
  deliver: step({
    summary: 'wakes the relay, which sends what the outbox holds due (the outbox, not the slot, says what goes)',
    label: '投递',
    example: { reason: 'alerts-2026-11-26-r31' },
    payload: z.object({ reason: z.string().regex(/^[^:]+$/) }),
    slot: (d) => d.reason,
    follows: [],
    triggers: [],
    order: 'none',
    // Retries come due between other work: a wake-up every 5 minutes.
    schedule: { cron: () => '*/5 * * * *', dataAt: (_config, fireTime) => ({ reason: `tick-${tick(fireTime).slice(0, 13)}` }) },
    // Named by the wall clock (not the configured one, which a rehearsal may hold still).
    due: async (view) => ((await view.anyMessageDue()) ? [{ reason: `sweep-${tick(new Date())}` }] : []),
    attempts: () => 1,
    runs: 'queue',
  }),
  sweep: step({
    summary: "enqueues every step's due slots that have not succeeded (a chain broken anywhere is mended)",
    label: '补漏',
    example: { tick: '20261127T083000' },
    payload: z.object({ tick: z.string() }),
    slot: (d) => d.tick,
    follows: [],
    triggers: [],
    order: 'none',
    schedule: { cron: (config) => config.queue.sweep, dataAt: (_config, fireTime) => ({ tick: tick(fireTime) }) },
    attempts: () => 1,
    runs: 'each-daemon',
  }),
};

export type Steps = typeof STEPS;
export type StepName = keyof Steps;
export const STEP_NAMES = Object.keys(STEPS) as StepName[];
export type StepData<K extends StepName> = z.infer<Steps[K]['payload']>;
export type TriggersOf<K extends StepName> = Steps[K]['triggers'][number];

// Every name a step follows or triggers is a step: a typo fails to compile here.
type Unknown<T> = Exclude<T, StepName>;
const namesAreSteps: [Unknown<TriggersOf<StepName>> | Unknown<Steps[StepName]['follows'][number]>] extends [never] ? true : never = true;
void namesAreSteps;

/** A step's declaration as the runtime reads it, whatever its payload. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStepSpec = StepSpec<any, string, string>;

/** BullMQ job ids cannot contain ':'; days, ISO weeks and ticks never do. */
export function jobId(name: string, slot: string): string {
  const id = `${name}-${slot}`;
  if (id.includes(':')) throw new Error(`job id must not contain ':': ${id}`);
  return id;
}

/** A rerun tag for a manual run of a slot that already succeeded: the instant, to the millisecond. */
export function rerunTag(at: Date): string {
  return `m${at.toISOString().slice(0, 23).replace(/[-:.]/g, '')}`;
}

/** A step's rank in the order of the work: how many `follows` lead back to a step that follows none. */
export function rankOf(steps: Record<string, AnyStepSpec>, name: string): number {
  const deps = steps[name]!.follows;
  return deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => rankOf(steps, d)));
}
