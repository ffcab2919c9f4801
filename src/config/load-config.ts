/**
 * loadConfig: finds the files the main configuration file names, reads and validates each, and assembles DubanConfig,
 * reporting every problem together. Reading a YAML file lives in yaml-file.ts and the catalogue checks in
 * catalogue-checks.ts; this file keeps what ties them together, and the rules, calendar and checkpoint files.
 */
import { readdirSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import cron from 'node-cron';
import type { z } from 'zod';
import { PROJECT_ROOT } from '../project-root';
import { checkIndicators, checkIndicatorUnits, checkUnits } from './catalogue-checks';
import { ConfigError, ConfigProblem } from './config-error';
import { addDays, isDay, weekday } from '../domain/day';
import type { CalendarYear } from '../domain/working-calendar';
import { MessageTemplates, readTemplates } from './message-templates';
import { RuleDefinition, rulesFileSchema } from './rules-schema';
import { readPublicKey } from './signing-key';
import {
  calendarFileSchema,
  IndicatorConfig,
  indicatorsFileSchema,
  MainFile,
  mainFileSchema,
  SourceConfig,
  UnitConfig,
  unitsFileSchema,
} from './schema';
import { unitsFileFastPath } from './units-shape';
import { checkUnique, problemAt, readYaml, readYamlFile, validate, YamlFile } from './yaml-file';

export interface DubanConfig {
  /** Absolute path of the main file; other paths in it are resolved against its folder. */
  file: string;
  timezone: string;
  ingest: MainFile['ingest'];
  problems: MainFile['problems'];
  delivery: MainFile['delivery'];
  bureau: MainFile['bureau'];
  letters: MainFile['letters'];
  alerts: MainFile['alerts'];
  ops: MainFile['ops'];
  api: MainFile['api'];
  queue: MainFile['queue'];
  audit: { checkpoints?: CheckpointConfig };
  /** The message templates, read and parsed once. */
  templates: MessageTemplates;
  sources: SourceConfig[];
  indicators: IndicatorConfig[];
  units: UnitConfig[];
  /** The rules file as it stands (what `rules apply` would store), and its path. */
  rules: RuleDefinition[];
  rulesFile: string;
  /** The official holiday calendar, one entry per year file. */
  calendar: CalendarYear[];
}

/** Signed checkpoints of the ledger, paths resolved and the public key read. */
export interface CheckpointConfig {
  dir: string;
  publicKeyFile: string;
  publicKey: KeyObject;
  recipients: string[];
  time: string;
}

export const DEFAULT_CONFIG_PATH = path.join(PROJECT_ROOT, 'config', 'duban.yaml');


/** The main file's defaults, where the other files are when it does not say (read from the schema, not repeated). */
const MAIN_DEFAULTS: MainFile = mainFileSchema.parse({});

/**
 * Reads and validates the whole configuration once. Every problem found is reported together, each with the file,
 * the key path and the line, so an operator can fix them in one pass; nothing is half-loaded. An invalid main file
 * does not hide the others: they are still located from what it says, and checked.
 */
export function loadConfig(file: string = process.env.DUBAN_CONFIG ?? DEFAULT_CONFIG_PATH): DubanConfig {
  const mainPath = path.resolve(file);
  const problems: ConfigProblem[] = [];
  const mainYaml = readYamlFile(mainPath, problems);
  // Unreadable or not YAML: nothing says where the other files are, and reading the defaults would report on files
  // the operator may never have meant.
  if (!mainYaml) throw new ConfigError(problems);
  const main = validate(mainYaml, mainFileSchema, problems);
  // With the main file invalid, each of its sections that is valid on its own is still checked below.
  const sections: Partial<MainFile> = main ?? validSections(mainYaml.data);

  const dir = path.dirname(mainPath);
  const where = (keys: readonly string[]): string | undefined => {
    const p = locate(mainYaml.data, keys);
    return p === undefined ? undefined : path.resolve(dir, p);
  };
  const unitsPath = where(['catalogue', 'units']);
  const indicatorsPath = where(['catalogue', 'indicators']);
  const calendarPath = where(['calendar']);
  const rulesFile = where(['rules']);
  const templatesPath = where(['letters', 'templates']);

  // The one file that may hold tens of thousands of entries: read in one pass and checked by hand when it is plain
  // and valid, by the yaml package and zod (and their messages) otherwise.
  const unitsRead = unitsPath === undefined ? undefined : readYaml(unitsPath, unitsFileSchema, problems, { plain: true, fastPath: unitsFileFastPath });
  const units = unitsRead?.data.units;
  const calendar = calendarPath === undefined ? [] : readCalendar(calendarPath, problems);
  const indicatorsRead = indicatorsPath === undefined ? undefined : readYaml(indicatorsPath, indicatorsFileSchema, problems);
  const indicators = indicatorsRead?.data.indicators;
  const rules = rulesFile === undefined ? [] : readRules(rulesFile, indicators, units, problems);
  const templates =
    templatesPath === undefined ? undefined : readTemplates(templatesPath, (file, message) => problems.push({ file, path: '', message }));

  for (const [keys, expression] of [[['ingest', 'schedule'], sections.ingest?.schedule], [['queue', 'sweep'], sections.queue?.sweep]] as const) {
    if (expression !== undefined && !cron.validate(expression)) problems.push(problemAt(mainYaml, keys, `不是有效的 cron 表达式：${expression}`));
  }
  if (sections.sources) checkUnique(sections.sources.map((s) => s.name), mainYaml, 'sources', 'name', problems);

  if (unitsRead) checkUnits(unitsRead.data.units, unitsRead.yaml, problems);
  const bureauUnit = sections.bureau?.unit;
  if (units && bureauUnit !== undefined && !units.some((u) => u.code === bureauUnit)) {
    problems.push(problemAt(mainYaml, ['bureau', 'unit'], `本局对应的单位“${bureauUnit}”不在单位清单中`));
  }
  if (indicatorsRead) {
    const { yaml } = indicatorsRead;
    checkIndicators(indicatorsRead.data.indicators, yaml, problems);
    if (units && unitsPath !== undefined) {
      checkIndicatorUnits(indicatorsRead.data.indicators, units, unitsPath, yaml, problems);
    }
  }
  const checkpointsSection = sections.audit?.checkpoints;
  const checkpoints = checkpointsSection && readCheckpointConfig(checkpointsSection, dir, mainYaml, problems);
  if (problems.length > 0 || !main || !units || !indicators || !templates || rulesFile === undefined) throw new ConfigError(problems);
  return {
    file: mainPath,
    timezone: main.timezone,
    ingest: main.ingest,
    problems: main.problems,
    delivery: main.delivery,
    bureau: main.bureau,
    letters: main.letters,
    alerts: main.alerts,
    ops: main.ops,
    api: main.api,
    queue: main.queue,
    audit: checkpoints ? { checkpoints } : {},
    templates,
    sources: main.sources.map((s) => (s.type === 'csv' ? { ...s, path: path.resolve(dir, s.path) } : s)),
    indicators,
    units,
    calendar,
    rules,
    rulesFile,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A path the main file gives for another file, read from its data before validation so that it is found even when
 * another part of the main file is wrong: the key's value if it is a string, the default if the key is absent, and
 * none if it is anything else (that is reported on the main file; reading the default instead would report problems
 * of a file the operator never named).
 */
function locate(raw: unknown, keys: readonly string[]): string | undefined {
  let value: unknown = raw;
  let fallback: unknown = MAIN_DEFAULTS;
  for (const key of keys) {
    fallback = isRecord(fallback) ? fallback[key] : undefined;
    if (value === undefined) continue;
    if (!isRecord(value)) return undefined;
    value = value[key];
  }
  const found = value === undefined ? fallback : value;
  return typeof found === 'string' ? found : undefined;
}

/** The main file's top-level sections that are valid on their own, for the checks that need only them. */
function validSections(raw: unknown): Partial<MainFile> {
  const out: Record<string, unknown> = {};
  if (!isRecord(raw)) return out;
  for (const [key, schema] of Object.entries(mainFileSchema.shape)) {
    const result = (schema as z.ZodType).safeParse(raw[key]);
    if (result.success) out[key] = result.data;
  }
  return out as Partial<MainFile>;
}

/** A rules file, checked against the catalogue it will run on. Also used for `rules apply --file` and `rules test`. */
export function readRules(
  file: string,
  indicators: IndicatorConfig[] | undefined,
  units: UnitConfig[] | undefined,
  problems: ConfigProblem[],
): RuleDefinition[] {
  const read = readYaml(file, rulesFileSchema, problems);
  if (!read) return [];
  const { yaml, data } = read;
  checkUnique(data.rules.map((r) => r.id), yaml, 'rules', 'id', problems);
  const indicatorCodes = new Set(indicators?.map((i) => i.code));
  // Made only if a rule names units: a catalogue may hold tens of thousands.
  let unitCodes: Set<string> | undefined;
  data.rules.forEach((r, i) => {
    if (indicators && r.indicators !== 'all') {
      r.indicators.forEach((code, j) => {
        if (!indicatorCodes.has(code)) problems.push(problemAt(yaml, ['rules', i, 'indicators', j], `指标“${code}”不在指标目录中`));
      });
    }
    if (units && r.scope !== 'all' && 'units' in r.scope) {
      const codes = (unitCodes ??= new Set(units.map((u) => u.code)));
      r.scope.units.forEach((code, j) => {
        if (!codes.has(code)) problems.push(problemAt(yaml, ['rules', i, 'scope', 'units', j], `单位“${code}”不在单位目录中`));
      });
    }
  });
  return data.rules;
}

/** Every `YYYY.yaml` in the folder; each day must be real, in its year, and a 调休 working day must be a weekend. */
function readCalendar(folder: string, problems: ConfigProblem[]): CalendarYear[] {
  let files: string[];
  try {
    files = readdirSync(folder).filter((f) => /^\d{4}\.ya?ml$/.test(f)).sort();
  } catch {
    problems.push({ file: folder, path: '', message: '工作日历目录不存在' });
    return [];
  }
  if (files.length === 0) problems.push({ file: folder, path: '', message: '工作日历目录中没有任何 YYYY.yaml 文件' });
  const years: CalendarYear[] = [];
  for (const name of files) {
    const read = readYaml(path.join(folder, name), calendarFileSchema, problems);
    if (!read) continue;
    const { yaml, data: cal } = read;
    const bad = (keyPath: Array<string | number>, message: string) => problems.push(problemAt(yaml, keyPath, message));
    if (String(cal.year) !== name.slice(0, 4)) bad(['year'], `年份 ${cal.year} 与文件名 ${name} 不符`);
    const inYear = (d: string, keyPath: Array<string | number>) => {
      if (!isDay(d)) bad(keyPath, `不是有效日期：${d}`);
      else if (!d.startsWith(`${cal.year}-`)) bad(keyPath, `${d} 不在 ${cal.year} 年`);
      else return true;
      return false;
    };
    const off = new Set<string>();
    cal.holidays.forEach((h, i) => {
      if (inYear(h.from, ['holidays', i, 'from']) && inYear(h.to, ['holidays', i, 'to'])) {
        if (h.to < h.from) bad(['holidays', i], `结束日 ${h.to} 早于开始日 ${h.from}`);
        for (let d = h.from; d <= h.to; d = addDays(d, 1)) off.add(d);
      }
    });
    cal.workdays.forEach((w, i) => {
      if (!inYear(w.day, ['workdays', i, 'day'])) return;
      if (weekday(w.day) !== 0 && weekday(w.day) !== 6) bad(['workdays', i, 'day'], `${w.day} 不是周末，无需列为调休上班日`);
      if (off.has(w.day)) bad(['workdays', i, 'day'], `${w.day} 同时被列为放假日`);
    });
    years.push(cal);
  }
  return years;
}


function readCheckpointConfig(c: NonNullable<MainFile['audit']['checkpoints']>, dir: string, main: YamlFile, problems: ConfigProblem[]): CheckpointConfig | undefined {
  const publicKeyFile = path.resolve(dir, c.publicKey);
  try {
    const publicKey = readPublicKey(publicKeyFile);
    return { dir: path.resolve(dir, c.dir), publicKeyFile, publicKey, recipients: c.recipients, time: c.time };
  } catch (err) {
    problems.push(problemAt(main, ['audit', 'checkpoints', 'publicKey'], (err as Error).message));
    return undefined;
  }
}
