import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { stringify } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../config/load-config';
import { Daemon } from '../daemon';
import type { Db } from '../db/database';
import { addDays, Day, dayRange } from '../domain/day';
import { letterDay, weekDueOn } from '../domain/letter-schedule';
import { confirmationWindow } from '../domain/problem-confirmation';
import { DEADLINE_STATES, ProblemState } from '../domain/problem-state';
import type { EscalationLevel } from '../domain/problem-deadline';
import { WorkingCalendar } from '../domain/working-calendar';
import { writeTable } from '../export/table-export';
import type { Logger } from '../logger';
import { generateSigningKeys } from '../config/signing-key';
import type { AuditReport } from '../services/audit.service';
import { CheckpointCopies, readCheckpointCopies } from '../services/checkpoint-copies';
import { CHECKPOINT_FILE } from '../services/checkpoint.service';
import type { ProblemActionService } from '../services/problem-action.service';
import { startMailArchive } from './mail-archive';

export interface DemoOptions {
  /** The app role's connection. */
  databaseUrl: string;
  /** The owner role's, which migrates; absent, the app's connection is one role for everything (`allowOwner`). */
  migrationDatabaseUrl?: string;
  allowOwner?: boolean;
  redisUrl: string;
  /** BullMQ key prefix of the demo's queue, apart from any real daemon's. */
  queuePrefix: string;
  /** Where the configuration, the mail and the 台账 go. */
  outDir: string;
  /** Simulated weeks (default 6), from Monday 2026-10-19. */
  weeks?: number;
  logger: Logger;
  /** Told each simulated day as it is done. */
  progress?: (line: string) => void;
  /**
   * The console's address as letters link to it (`api.publicBaseUrl`), with the port the API is to answer on and the
   * secret that signs the links; absent, letters carry no reply link.
   */
  console?: { port: number; publicBaseUrl: string; linkSecret: string };
}

export interface DemoOutcome {
  days: number;
  problems: { opened: number; closed: number; reopened: number; awaitingVerification: number; overdue: number };
  escalations: Record<'remind' | 'supervise' | 'notify', number>;
  messages: { letters: number; alerts: number; summaries: number; checkpoints: number; archived: number };
  /** Units that got more than one letter in one week: always none. */
  doubledLetters: number;
  /** `audit verify` at the end, against every checkpoint in the checkpoint file and in the auditors' mail. */
  ledger: AuditReport;
  checkpoints: CheckpointCopies;
  /** Closures (销号), and of them those whose data confirmed the recovery over a clean window: always all of them. */
  closures: { total: number; onCleanWindow: number };
  stories: Array<{ story: string; problemId: number | null; state: ProblemState | null; reopenCount: number; escalation: EscalationLevel | 'none' | null }>;
  files: { mail: string; ledger: string; config: string; checkpoints: string; publicKey: string };
}

const START: Day = '2026-10-19';

/**
 * Anomalies planted in the demo data, each the start of a story the demo then plays out as the departments would:
 * fixed and closed; fixed, regressed and reopened; ignored until 通报; a cross-department fix still awaiting its
 * checker at the end. Everything else the demo source produces at random is handled by the departments' habit below.
 */
const STORIES = [
  { story: '宁国市 全程网办率：整改销号后再次异常，自动重新打开，再次整改销号', unit: 'ningguo', indicator: 'full_online_rate', planted: [['2026-10-20', '2026-10-21'], ['2026-11-04', '2026-11-05']] },
  { story: '郎溪县 按时办结率：交办后一直未反馈，逾期后逐级提醒、督办、通报', unit: 'langxi', indicator: 'on_time_completion_rate', planted: [['2026-10-21', '2026-10-21']] },
  { story: '广德市 好评率：交办后及时整改，数据确认、核验签字后销号', unit: 'guangde', indicator: 'satisfaction_rate', planted: [['2026-10-27', '2026-10-28']] },
  { story: '市市场监管局 电子证照用证率：跨部门问题（15 个工作日），已反馈，待核验', unit: 'market_regulation', indicator: 'e_license_usage_rate', planted: [['2026-11-03', '2026-11-03']] },
] as const;
const IGNORED = STORIES[1];
const AWAITING = STORIES[3];

/**
 * 日监测、周交办、对账销号 over simulated weeks, through the real daemon: its BullMQ queue and worker, its jobs
 * (ingest from the demo source → evaluate → reconcile → alerts; the weekly digest → letters and the director's
 * summary; the relay), its Postgres, and a real SMTP server that keeps every message. The clock is the demo's: each
 * simulated day is one turn of the loop.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoOutcome> {
  const weeks = opts.weeks ?? 6;
  const mailDir = path.join(opts.outDir, 'mail');
  // The demo's own signing key: in production the private key stays with the daemon's user, the public one with auditors.
  const keys = generateSigningKeys(path.join(opts.outDir, 'keys'));
  const configFile = writeDemoConfig(opts.outDir, keys.publicFile, opts.console);
  const archive = await startMailArchive(mailDir);
  let clock = new Date(`${START}T07:00:00+08:00`);
  const at = (day: Day, time: string) => (clock = new Date(`${day}T${time}:00+08:00`));
  const daemon = await Daemon.start({
    configPath: configFile,
    env: {
      DATABASE_URL: opts.databaseUrl,
      ...(opts.migrationDatabaseUrl ? { MIGRATION_DATABASE_URL: opts.migrationDatabaseUrl } : {}),
      REDIS_URL: opts.redisUrl,
      DUBAN_QUEUE_PREFIX: opts.queuePrefix,
      SMTP_URL: archive.url,
      DUBAN_CHECKPOINT_KEY_FILE: keys.privateFile,
      ...(opts.console ? { DUBAN_LINK_SECRET: opts.console.linkSecret } : {}),
    },
    allowOwner: opts.allowOwner ?? false,
    logger: opts.logger,
    now: () => clock,
    cron: false,
    // Its endpoints on a free port, beside a real daemon's.
    ops: { port: 0 },
    api: { port: opts.console?.port ?? 0 },
  }).catch(async (err: unknown) => {
    await archive.close();
    throw err;
  });
  try {
    const { config } = daemon.app;
    const { db } = daemon.app.database;
    const calendar = new WorkingCalendar(config.calendar);
    const actions = daemon.app.services.problemActions;
    const days = dayRange(START, addDays(START, 7 * weeks));
    for (const day of days) {
      at(day, '08:00');
      await runToIdle(daemon, () => daemon.enqueue('ingest', { day: addDays(day, -1), trigger: 'demo' }, { attempts: 1 }));
      const week = weekDueOn(calendar, day, config.letters.weekday);
      const lettersToday = week !== undefined && letterDay(calendar, week, config.letters.weekday) === day;
      if (lettersToday) {
        at(day, '08:30');
        await runToIdle(daemon, () => daemon.enqueue('letters', { week }, { attempts: 1 }));
      }
      at(day, '17:00');
      const done = await departmentsAct(db, actions, calendar, day);
      at(day, '23:30');
      await runToIdle(daemon, () => daemon.enqueue('checkpoint', { day }, { attempts: 1 }));
      opts.progress?.(`${day} ${lettersToday ? `${week} 交办函已发 ` : ''}${done}`);
    }
    const lastDay = days[days.length - 1]!;
    const ledgerFile = path.join(opts.outDir, '台账.xlsx');
    const ledger = await daemon.app.services.audit.ledgerExport({}, { asOf: lastDay, calendar, bureau: config.bureau.name, by: '演示', filterText: '' });
    await writeTable(ledger, 'xlsx', ledgerFile);
    // As an auditor would: the checkpoint file and the checkpoints that reached the auditors' mailbox.
    const checkpointFile = path.join(config.audit.checkpoints!.dir, CHECKPOINT_FILE);
    const mailed = archive.received.filter((m) => m.messageId.startsWith('<checkpoint-')).map((m) => m.file);
    const checkpoints = await readCheckpointCopies([checkpointFile, ...mailed]);
    return {
      days: days.length,
      ...(await tally(db, lastDay)),
      messages: { ...(await messageCounts(db)), archived: archive.received.length },
      ledger: await daemon.app.services.audit.verify({ checkpoints: { items: checkpoints.items, publicKey: config.audit.checkpoints!.publicKey } }),
      checkpoints,
      closures: await closureWindows(db, calendar, config.problems.confirmWorkingDays),
      stories: await Promise.all(STORIES.map(async (s) => ({ story: s.story, ...(await storyState(db, s.unit, s.indicator)) }))),
      files: { mail: mailDir, ledger: ledgerFile, config: configFile, checkpoints: checkpointFile, publicKey: keys.publicFile },
    };
  } finally {
    // The demo's queue is of no use after it (its database is what one looks at): it leaves no keys in Redis.
    await daemon.queue.queue.obliterate({ force: true }).catch(() => undefined);
    await daemon.stop();
    await archive.close();
  }
}

/** Enqueues a slot and waits until the queue has run it and everything it led to; a failed job stops the demo. */
async function runToIdle(daemon: Daemon, enqueue: () => Promise<string>): Promise<void> {
  await enqueue();
  const queue = daemon.queue.queue;
  for (;;) {
    const c = await queue.getJobCounts('waiting', 'active', 'prioritized', 'delayed', 'failed');
    if (c.failed) {
      const [job] = await queue.getFailed(0, 0);
      throw new Error(`演示中止：任务 ${job?.id} 失败：${job?.failedReason}`);
    }
    if (!c.waiting && !c.active && !c.prioritized && !c.delayed) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * What the departments and the checker do at the end of a day. The stories follow their script; the problems the
 * demo source raised at random are answered two working days after their letter when their id is even (and
 * verified once the data confirm it), and ignored when it is odd, so some close and some go overdue.
 */
async function departmentsAct(db: Db, actions: ProblemActionService, calendar: WorkingCalendar, day: Day): Promise<string> {
  // Departments and the checker work on working days only.
  if (!calendar.isWorkingDay(day)) return '';
  const live = await db
    .selectFrom('problems as p')
    .innerJoin('units as u', 'u.id', 'p.unit_id')
    .innerJoin('indicators as i', 'i.id', 'p.indicator_id')
    .select(['p.id', 'p.state', 'p.assigned_on', 'p.data_confirmed', 'p.signed_off_by', 'u.code as unit', 'i.code as indicator', 'p.kind'])
    .where('p.state', 'in', [...DEADLINE_STATES])
    .orderBy('p.id')
    .execute();
  let responded = 0;
  let closed = 0;
  for (const p of live) {
    const story = STORIES.find((s) => s.unit === p.unit && s.indicator === p.indicator && p.kind === 'value');
    if (story === IGNORED || (!story && p.id % 2 === 1)) continue;
    const waited = calendar.workingDaysBetween(p.assigned_on!, day);
    if (p.state === 'assigned' && waited >= (story === AWAITING ? 6 : 2)) {
      await actions.act(p.id, { type: 'respond', measures: MEASURES[p.indicator] ?? '已查明原因并整改', evidence: [`整改报告-${p.id}.pdf`] }, { actor: `${p.unit} 联络员`, on: day });
      responded++;
    } else if (p.state === 'pending_verification' && p.data_confirmed && story !== AWAITING) {
      if (!p.signed_off_by) await actions.act(p.id, { type: 'verify', by: '王核验', note: '材料齐全，数据已恢复' }, { actor: '王核验', on: day });
      await actions.act(p.id, { type: 'close' }, { actor: '督查科', on: day });
      closed++;
    }
  }
  return responded + closed > 0 ? `（反馈 ${responded}，销号 ${closed}）` : '';
}

const MEASURES: Record<string, string> = {
  full_online_rate: '已排查网办系统故障并恢复，补办线上申报',
  satisfaction_rate: '已逐条回访差评并整改窗口服务',
  e_license_usage_rate: '已与市场监管、公安等部门对接证照调用接口',
};

async function tally(db: Db, lastDay: Day) {
  const r = await sql<{ opened: number; closed: number; reopened: number; awaiting: number; overdue: number; remind: number; supervise: number; notify: number }>`
    SELECT (SELECT count(*) FROM problems)::int AS opened,
           count(*) FILTER (WHERE state = 'closed')::int AS closed,
           count(*) FILTER (WHERE reopen_count > 0)::int AS reopened,
           count(*) FILTER (WHERE state = 'pending_verification')::int AS awaiting,
           count(*) FILTER (WHERE state = ANY(${DEADLINE_STATES}::text[]) AND deadline < ${lastDay}::date)::int AS overdue,
           (SELECT count(*) FROM ledger_events WHERE type = 'problem_escalated' AND payload->>'level' = 'remind')::int AS remind,
           (SELECT count(*) FROM ledger_events WHERE type = 'problem_escalated' AND payload->>'level' = 'supervise')::int AS supervise,
           (SELECT count(*) FROM ledger_events WHERE type = 'problem_escalated' AND payload->>'level' = 'notify')::int AS notify
    FROM problems`.execute(db);
  const t = r.rows[0]!;
  return {
    problems: { opened: t.opened, closed: t.closed, reopened: t.reopened, awaitingVerification: t.awaiting, overdue: t.overdue },
    escalations: { remind: t.remind, supervise: t.supervise, notify: t.notify },
    doubledLetters: (await sql<{ n: number }>`SELECT count(*)::int AS n FROM (SELECT 1 FROM outbox WHERE kind = 'letter' GROUP BY recipient_key, period HAVING count(*) > 1) d`.execute(db)).rows[0]!.n,
  };
}

/**
 * Checks every closure against what was known when it was made: a value problem's closure rests on a clean window when
 * the working days that confirm its recovery after its latest breach known then all fall on or before the closing and
 * had values; a missing-data problem's, when none of its missing days was still missing.
 */
async function closureWindows(db: Db, calendar: WorkingCalendar, n: number): Promise<{ total: number; onCleanWindow: number }> {
  // What was known when it was closed: breaches found by then and not yet taken back, values recorded by then. A
  // breach found later reopens the problem; it does not make the closing wrong.
  const closures = await sql<{ problem_id: number; day: Day; at: Date; kind: 'value' | 'missing'; indicator_id: number | null; unit_id: number; latest_breach: Day | null }>`
    SELECT e.problem_id::int, e.payload->>'day' AS day, e.recorded_at AS at, p.kind, p.indicator_id, p.unit_id,
           (SELECT max(a.day)::text FROM anomalies a
            WHERE a.problem_id = p.id AND a.created_at <= e.recorded_at AND (a.superseded_at IS NULL OR a.superseded_at > e.recorded_at)) AS latest_breach
    FROM ledger_events e JOIN problems p ON p.id = e.problem_id
    WHERE e.type = 'problem_closed'`.execute(db);
  let clean = 0;
  for (const c of closures.rows) {
    if (c.kind === 'missing' || c.latest_breach === null) {
      clean += c.latest_breach === null ? 1 : 0;
      continue;
    }
    const { workingDays } = confirmationWindow(calendar, c.latest_breach, n);
    const reported = await db
      .selectFrom('observations')
      .select('day')
      .where('indicator_id', '=', c.indicator_id!)
      .where('unit_id', '=', c.unit_id)
      .where('day', 'in', workingDays)
      .where('recorded_at', '<=', c.at)
      .execute();
    if (workingDays.at(-1)! <= c.day && reported.length === workingDays.length) clean++;
  }
  return { total: closures.rows.length, onCleanWindow: clean };
}

async function messageCounts(db: Db) {
  const rows = await db.selectFrom('outbox').select(['kind']).select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'delivered').groupBy('kind').execute();
  const n = (kind: string) => Number(rows.find((r) => r.kind === kind)?.n ?? 0);
  return { letters: n('letter'), alerts: n('alert'), summaries: n('summary'), checkpoints: n('checkpoint') };
}

async function storyState(db: Db, unit: string, indicator: string) {
  const p = await db
    .selectFrom('problems as p')
    .innerJoin('units as u', 'u.id', 'p.unit_id')
    .innerJoin('indicators as i', 'i.id', 'p.indicator_id')
    .select(['p.id', 'p.state', 'p.reopen_count', 'p.escalation'])
    .where('u.code', '=', unit)
    .where('i.code', '=', indicator)
    .where('p.kind', '=', 'value')
    .orderBy('p.id', 'desc')
    .executeTakeFirst();
  return { problemId: p?.id ?? null, state: p?.state ?? null, reopenCount: p?.reopen_count ?? 0, escalation: p?.escalation ?? null };
}

/** The shipped catalogue, rules, calendar and templates, with the demo source and its planted anomalies. */
function writeDemoConfig(outDir: string, publicKey: string, console?: DemoOptions['console']): string {
  const shipped = path.dirname(DEFAULT_CONFIG_PATH);
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'duban.yaml');
  writeFileSync(
    file,
    `# 演示配置（npm run demo 生成）。\n${stringify({
      timezone: 'Asia/Shanghai',
      catalogue: { indicators: path.join(shipped, 'indicators.yaml'), units: path.join(shipped, 'units.yaml') },
      calendar: path.join(shipped, 'calendar'),
      rules: path.join(shipped, 'rules.yaml'),
      ingest: { schedule: '0 8 * * *', lagDays: 1, lookbackDays: 0, attempts: 1 },
      problems: { categoryByIndicator: { e_license_usage_rate: 'cross_department' } },
      delivery: { operatorEmail: 'operator@xuancheng.example.gov.cn', retryBaseMs: 1000 },
      bureau: {
        name: '宣城市数据资源局',
        seal: '宣城市数据资源局',
        office: '督查科',
        contact: { name: '督查科 王督办', phone: '0563-2021234', email: 'duban@xuancheng.example.gov.cn' },
        unit: 'data_bureau',
      },
      letters: { templates: path.join(shipped, 'templates'), summaryRecipients: ['director@xuancheng.example.gov.cn'] },
      audit: { checkpoints: { dir: path.join(outDir, 'checkpoints'), publicKey, recipients: ['audit@xuancheng.example.gov.cn'], time: '23:30' } },
      ...(console ? { api: { port: console.port, publicBaseUrl: console.publicBaseUrl } } : {}),
      sources: [
        {
          name: 'demo',
          type: 'demo',
          seed: 20261019,
          anomalyRate: 0.002,
          missingRate: 0.0005,
          planted: STORIES.flatMap((s) => s.planted.map(([from, to]) => ({ unit: s.unit, indicator: s.indicator, from, to }))),
        },
      ],
    })}`,
  );
  return file;
}
