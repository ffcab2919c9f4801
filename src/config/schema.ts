import { z } from 'zod';

// Operators read these messages, so zod speaks Chinese.
z.config(z.locales.zhCN());

/** What a code is made of (units-shape.ts checks the same by hand). */
export const CODE_PATTERN = /^[a-z][a-z0-9_]*$/;

const code = z
  .string()
  .regex(CODE_PATTERN, '代码只能用小写字母、数字和下划线，且以字母开头');

const contactSchema = z
  .object({
    name: z.string().min(1),
    email: z.email().optional(),
    phone: z.string().optional(),
    role: z.string().optional(),
  })
  .strict();

/**
 * One unit of units.yaml. units-shape.ts checks this same shape by hand, because a catalogue may hold tens of thousands
 * of units; a change here must be made there too (test/unit/units-shape.test.ts compares the two).
 */
export const unitSchema = z
  .object({
    code,
    name: z.string().min(1),
    kind: z.enum(['city', 'county', 'department']),
    parent: code.optional(),
    aliases: z.array(z.string().min(1)).default([]),
    contacts: z.array(contactSchema).default([]),
    /** The organ its letters and alerts are addressed to (主送机关), e.g. 宁国市数据资源局; default the unit's name. */
    addressee: z.string().min(1).optional(),
    /** Organs copied on its letters and alerts (抄送, printed in the 版记); those with an address get the mail in Cc. */
    copyTo: z.array(z.object({ name: z.string().min(1), email: z.email().optional() }).strict()).optional(),
  })
  .strict();

/** What a reply's evidence may be by default: PDF, pictures, Word and Excel documents, plain text. */
const EVIDENCE_TYPES = [
  'application/pdf',
  'image/jpeg',
  'image/png',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'text/plain',
] as const;

export const indicatorSchema = z
  .object({
    code,
    name: z.string().min(1),
    /**
     * Other header texts a source uses for this indicator's column (`网上办理率` for 全程网办率). Data is matched by
     * code, name or one of these, compared by labelKey, so none may fold to another indicator's label.
     */
    headerAliases: z.array(z.string().min(1)).default([]),
    unit: z.string().default('%'),
    kind: z.enum(['percent', 'count', 'number']),
    direction: z.enum(['higher', 'lower']),
    formula: z.string().default(''),
    alert: z.number().nullable().default(null),
    benchmark: z.number().nullable().default(null),
    weight: z.number().nonnegative().default(0),
    source: z.string().default(''),
    sourceDepartment: code.optional(),
    /** The units it applies to, and so expects data from: all, units of some kinds, or units named by code. */
    scope: z
      .union([
        z.literal('all'),
        z.object({ kinds: z.array(z.enum(['city', 'county', 'department'])).min(1) }).strict(),
        z.object({ units: z.array(code).min(1) }).strict(),
      ])
      .default('all'),
  })
  .strict();

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期应写成 YYYY-MM-DD');
export const calendarFileSchema = z
  .object({
    year: z.number().int().min(2000).max(2100),
    notice: z.string().optional(),
    holidays: z.array(z.object({ name: z.string().min(1), from: day, to: day }).strict()),
    workdays: z.array(z.object({ day, for: z.string().optional() }).strict()).default([]),
  })
  .strict();

export const unitsFileSchema = z.object({ units: z.array(unitSchema).min(1) }).strict();
export const indicatorsFileSchema = z.object({ indicators: z.array(indicatorSchema).min(1) }).strict();

const sourceName = z.string().regex(/^[A-Za-z0-9_.-]+$/, '数据源名称只能用字母、数字、点、下划线和连字符');

const csvSourceSchema = z
  .object({
    name: sourceName,
    type: z.literal('csv'),
    path: z.string().min(1),
    pattern: z.string().default('*{yyyymmdd}*.csv'),
    encoding: z.enum(['auto', 'utf-8', 'gbk']).default('auto'),
    /** Long (one value per row) or wide (one column per indicator); auto decides from the header, never by guessing. */
    layout: z.enum(['auto', 'long', 'wide']).default('auto'),
    delimiter: z.string().length(1).default(','),
    percentScale: z.enum(['auto', 'percent', 'fraction']).default('auto'),
    /** Characters a row may have: a longer one is rejected as it streams, never held in memory whole. */
    maxLineLength: z.number().int().min(1024).default(65_536),
  })
  .strict();

const httpJsonSourceSchema = z
  .object({
    name: sourceName,
    type: z.literal('http-json'),
    url: z.string().min(1).refine((u) => u.includes('{day}') || u.includes('{yyyymmdd}'), 'URL 模板中应含有 {day} 或 {yyyymmdd}'),
    tokenEnv: z.string().optional(),
    recordsPath: z.string().default(''),
    fields: z
      .object({ unit: z.string(), indicator: z.string(), value: z.string(), day: z.string().optional() })
      .strict(),
    timeoutMs: z.number().int().positive().default(30_000),
    retries: z.number().int().min(0).max(10).default(3),
    maxBytes: z.number().int().positive().default(64 * 1024 * 1024),
    percentScale: z.enum(['auto', 'percent', 'fraction']).default('auto'),
  })
  .strict();

const demoSourceSchema = z
  .object({
    name: sourceName,
    type: z.literal('demo'),
    seed: z.number().int().default(1),
    anomalyRate: z.number().min(0).max(1).default(0.02),
    missingRate: z.number().min(0).max(1).default(0.005),
    /** Anomalies planted on purpose: the series is far under its alert value on every day from `from` to `to`. */
    planted: z.array(z.object({ unit: code, indicator: code, from: day, to: day }).strict()).default([]),
  })
  .strict();

export const sourceSchema = z.discriminatedUnion('type', [csvSourceSchema, httpJsonSourceSchema, demoSourceSchema]);

export const mainFileSchema = z
  .object({
    timezone: z
      .string()
      .default('Asia/Shanghai')
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, '不是有效的 IANA 时区名称（例如 Asia/Shanghai）'),
    catalogue: z
      .object({ indicators: z.string().default('indicators.yaml'), units: z.string().default('units.yaml') })
      .strict()
      .default({ indicators: 'indicators.yaml', units: 'units.yaml' }),
    /** Monitoring rules; applied to the database as versions with `duban rules apply`. */
    rules: z.string().default('rules.yaml'),
    /** Folder of per-year holiday files (YYYY.yaml). */
    calendar: z.string().default('calendar'),
    ingest: z
      .object({
        schedule: z.string().default('0 8 * * *'),
        lagDays: z.number().int().min(0).max(31).default(1),
        lookbackDays: z.number().int().min(0).max(366).default(14),
        attempts: z.number().int().min(1).max(20).default(3),
      })
      .strict()
      .default({ schedule: '0 8 * * *', lagDays: 1, lookbackDays: 14, attempts: 3 }),
    sources: z.array(sourceSchema).default([]),
    delivery: z
      .object({
        /** The From of every message; the SMTP server comes from SMTP_URL in the environment. */
        from: z.string().default('宣城市数据资源局督办系统 <duban@xuancheng.example.gov.cn>'),
        /** Copied on alerts, and told when a message cannot be delivered. */
        operatorEmail: z.email().optional(),
        /** The right-hand side of every Message-ID, e.g. <alert-2026-11-26-ningguo@duban>. */
        messageIdDomain: z.string().regex(/^[A-Za-z0-9.-]+$/).default('duban'),
        maxAttempts: z.number().int().min(1).max(50).default(6),
        /** First retry after this long; each later one waits twice as long. */
        retryBaseMs: z.number().int().min(0).default(60_000),
        /** How long a relay may hold a claimed message before another takes it over. */
        leaseMs: z.number().int().min(1000).default(120_000),
        /**
         * The day duban goes live: alerts for data days before its latest data day, and letters due before it, are not
         * sent by themselves (docs/operations.md#going-live). Default: the day of the first daemon start.
         */
        goLive: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期应写成 YYYY-MM-DD').optional(),
        /** SMTP connections the relay keeps open to the mail server at most (?maxConnections= in SMTP_URL wins). */
        maxConnections: z.number().int().min(1).max(50).default(5),
        /** At most this many messages per this many seconds, for a mail server that throttles a sender; none, no limit. */
        rateLimit: z.object({ messages: z.number().int().min(1), perSeconds: z.number().int().min(1).max(3600) }).strict().optional(),
      })
      .strict()
      .default({ from: '宣城市数据资源局督办系统 <duban@xuancheng.example.gov.cn>', messageIdDomain: 'duban', maxAttempts: 6, retryBaseMs: 60_000, leaseMs: 120_000, maxConnections: 5 }),
    /** The bureau as its letters and alerts name it. */
    bureau: z
      .object({
        name: z.string().min(1),
        /** The line above the date where the seal goes. */
        seal: z.string().min(1),
        office: z.string().default('督查科'),
        contact: z.object({ name: z.string().min(1), phone: z.string().optional(), email: z.email().optional() }).strict(),
        /** The bureau's own unit in units.yaml, if it is one: it gets no letters or alerts from itself. */
        unit: code.optional(),
      })
      .strict()
      .default({ name: '宣城市数据资源局', seal: '宣城市数据资源局', office: '督查科', contact: { name: '督查科' } }),
    letters: z
      .object({
        /** Folder of the message templates (mustache), which a bureau adapts to its own wording. */
        templates: z.string().default('templates'),
        /** The weekday of the director's meeting, 1 = Monday … 7 = Sunday; on a holiday the next working day. */
        weekday: z.number().int().min(1).max(7).default(1),
        time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, '时间应写成 HH:MM（24 小时制）').default('08:30'),
        /** {year}: the week's year; {week}: its number; {seq}: the letter's place among the week's letters. */
        serialPattern: z.string().refine((p) => p.includes('{seq}'), '函号格式中应含有 {seq}').default('宣数督〔{year}〕{week}-{seq}号'),
        /** Send a letter (its indicator table) also to a unit with nothing open. */
        sendWhenNothingOpen: z.boolean().default(false),
        /** The director's summary (调度会材料) goes to these; none, no summary. */
        summaryRecipients: z.array(z.email()).default([]),
        /**
         * The kinds of unit that answer for results and so get letters and alerts. The city as a whole (and the bureau's
         * own unit, bureau.unit) get none: their problems are listed in the director's summary instead.
         */
        unitKinds: z.array(z.enum(['city', 'county', 'department'])).min(1).default(['county', 'department']),
        /**
         * The clause naming the decision behind the letters, e.g. "经局长办公会研究，". Empty by default: letters go out by
         * schedule, and a letter must not claim a meeting that did not decide it.
         */
        decisionClause: z.string().default(''),
      })
      .strict()
      .default({
        templates: 'templates',
        weekday: 1,
        time: '08:30',
        serialPattern: '宣数督〔{year}〕{week}-{seq}号',
        sendWhenNothingOpen: false,
        summaryRecipients: [],
        unitKinds: ['county', 'department'],
        decisionClause: '',
      }),
    /** The same-day 督办通知 on a major anomaly. */
    alerts: z
      .object({
        /**
         * {year}, {month} and {day} of the monitoring day the notice is about (two digits each), {seq} its place among that
         * day's notices. {seq} starts again each day, so the day must be in the number or numbers would repeat.
         */
        serialPattern: z
          .string()
          .refine((p) => ['{year}', '{month}', '{day}', '{seq}'].every((part) => p.includes(part)), '文号格式中应含有 {year}、{month}、{day} 和 {seq}（序号每天从 01 起，不含日期则文号会重复）')
          .default('宣数督通〔{year}〕{month}{day}-{seq}号'),
        /** Working days the unit has to check the cause and answer (核查时限), counted from the day it is written. */
        checkWorkingDays: z.number().int().min(1).max(30).default(1),
      })
      .strict()
      .default({ serialPattern: '宣数督通〔{year}〕{month}{day}-{seq}号', checkWorkingDays: 1 }),
    problems: z
      .object({
        /** A closed problem whose indicator breaches again within this many working days is reopened, not duplicated. */
        reopenWithinWorkingDays: z.number().int().min(0).max(250).default(20),
        /**
         * Working days to fix a problem, counted from the day it is assigned, by category; a problem's category comes
         * from the rule that raised it, else its indicator, else `defaultCategory`.
         */
        deadlines: z.record(z.string().regex(/^[a-z_]+$/), z.number().int().min(1).max(250)).default({ simple: 5, cross_department: 15, complex: 22 }),
        defaultCategory: z.string().default('simple'),
        categoryByRule: z.record(z.string(), z.string()).default({}),
        categoryByIndicator: z.record(z.string(), z.string()).default({}),
        /** What closing (销号) needs; by default both. */
        closePolicy: z
          .object({ requireDataConfirmation: z.boolean().default(true), requireSignOff: z.boolean().default(true) })
          .strict()
          .refine((c) => c.requireDataConfirmation || c.requireSignOff, '销号至少需要数据确认或核验签字之一')
          .default({ requireDataConfirmation: true, requireSignOff: true }),
        /** Recovery is confirmed when the series is reported and free of the problem's kind of anomaly this many working days running. */
        confirmWorkingDays: z.number().int().min(1).max(60).default(3),
        /** Working days past the deadline at which each step of 提醒 → 督办 → 通报 is reached. */
        escalation: z
          .object({ remind: z.number().int().min(0), supervise: z.number().int().min(0), notify: z.number().int().min(0) })
          .strict()
          .refine((l) => l.remind <= l.supervise && l.supervise <= l.notify, '升级阶梯应满足 remind ≤ supervise ≤ notify')
          .default({ remind: 1, supervise: 3, notify: 6 }),
      })
      .strict()
      .refine((p) => [p.defaultCategory, ...Object.values(p.categoryByRule), ...Object.values(p.categoryByIndicator)].every((c) => c in p.deadlines), {
        message: '问题分类必须是 deadlines 中列出的类别',
      })
      .default({
        reopenWithinWorkingDays: 20,
        deadlines: { simple: 5, cross_department: 15, complex: 22 },
        defaultCategory: 'simple',
        categoryByRule: {},
        categoryByIndicator: {},
        closePolicy: { requireDataConfirmation: true, requireSignOff: true },
        confirmWorkingDays: 3,
        escalation: { remind: 1, supervise: 3, notify: 6 },
      }),
    /** What makes the 台账 provable from outside the database (docs/ledger.md, docs/threat-model.md). */
    audit: z
      .object({
        /**
         * Signed checkpoints of the ledger's head, made daily: appended to a file outside the database and mailed to
         * the auditors. The private key comes from the environment (DUBAN_CHECKPOINT_KEY or DUBAN_CHECKPOINT_KEY_FILE).
         */
        checkpoints: z
          .object({
            /** The folder of the checkpoint file (checkpoints.jsonl). */
            dir: z.string().min(1),
            /** The public key (PEM) that verifies them; `duban audit keygen` makes the pair. */
            publicKey: z.string().min(1),
            /** The auditors who receive each checkpoint by mail. */
            recipients: z.array(z.email()).default([]),
            time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, '时间应写成 HH:MM（24 小时制）').default('23:30'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    /** How daemons share the queue and notice each other's deaths. */
    queue: z
      .object({
        /**
         * A worker's hold on its job lasts this long unless renewed (every half of it): a job whose daemon died is taken
         * up again by another daemon, or by the restarted one, within about this plus `stalledIntervalMs`.
         */
        lockDurationMs: z.number().int().min(1000).default(30_000),
        /** How often workers look for jobs whose holder stopped renewing. */
        stalledIntervalMs: z.number().int().min(500).default(30_000),
        /**
         * A job whose daemon died under it more often than this is failed rather than handed on again, so that one job
         * that kills the process does not keep every daemon crashing; the sweep tries it again later.
         */
        maxStalledCount: z.number().int().min(0).max(100).default(2),
        /** A failed job's first retry waits this long, each later one twice as long (`ingest.attempts` in all). */
        retryDelayMs: z.number().int().min(0).default(30_000),
        /**
         * When (cron, in the configured time zone) the daemon compares Postgres with the queue and enqueues what a
         * day's pipeline is missing: an ingest, evaluation or reconciliation that failed every attempt or was lost with
         * Redis, the week's letters, due messages no relay holds. It also runs at every start.
         */
        sweep: z.string().default('*/10 * * * *'),
      })
      .strict()
      .default({ lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 2, retryDelayMs: 30_000, sweep: '*/10 * * * *' }),
    /** The daemon's health, readiness and metrics endpoints, and how long a stop waits for the running job. */
    ops: z
      .object({
        /** Loopback by default: the endpoints carry no authentication, so exposing them is a deliberate choice. */
        host: z.string().min(1).default('127.0.0.1'),
        /** 0 picks a free port (tests, several daemons on one machine). */
        port: z.number().int().min(0).max(65535).default(9464),
        /** After this long a stop stops waiting for the running job; its BullMQ lock expires and another worker retries it. */
        shutdownGraceMs: z.number().int().min(0).default(30_000),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 9464, shutdownGraceMs: 30_000 }),
    /**
     * The HTTP API (docs/api.md) that `duban start` and `duban serve` answer on: every request carries a token
     * (`duban tokens create`) or a letter's signed reply link.
     */
    api: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().min(1).default('127.0.0.1'),
        /** 0 picks a free port. */
        port: z.number().int().min(0).max(65535).default(8080),
        /** Requests per token (or per address, before authentication) in each minute. */
        rateLimitPerMinute: z.number().int().min(1).default(600),
        /** Evidence files a lead attaches to a reply: at most this many bytes each, of these types. */
        evidenceMaxBytes: z.number().int().min(1).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
        evidenceTypes: z
          .array(z.string().min(1))
          .default([...EVIDENCE_TYPES]),
        /** Where a letter's reply link points (the console's address as the leads reach it); unset, letters carry no link. */
        publicBaseUrl: z.url().optional(),
        /** How long a reply link stays valid after its letter or alert. */
        replyLinkDays: z.number().int().min(1).max(365).default(30),
      })
      .strict()
      .default({
        enabled: true,
        host: '127.0.0.1',
        port: 8080,
        rateLimitPerMinute: 600,
        evidenceMaxBytes: 10 * 1024 * 1024,
        evidenceTypes: [...EVIDENCE_TYPES],
        replyLinkDays: 30,
      }),
  })
  .strict();

export type UnitConfig = z.infer<typeof unitSchema>;
export type IndicatorConfig = z.infer<typeof indicatorSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type CsvSourceConfig = z.infer<typeof csvSourceSchema>;
export type HttpJsonSourceConfig = z.infer<typeof httpJsonSourceSchema>;
export type DemoSourceConfig = z.infer<typeof demoSourceSchema>;
export type MainFile = z.infer<typeof mainFileSchema>;
