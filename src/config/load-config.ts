import { readdirSync, readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import cron from 'node-cron';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { PROJECT_ROOT } from '../project-root';
import { ConfigError, ConfigProblem, formatPath } from './config-error';
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

export interface DubanConfig {
  /** Absolute path of the main file; other paths in it are resolved against its folder. */
  file: string;
  timezone: string;
  ingest: MainFile['ingest'];
  problems: MainFile['problems'];
  delivery: MainFile['delivery'];
  bureau: MainFile['bureau'];
  letters: MainFile['letters'];
  ops: MainFile['ops'];
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

/**
 * Reads and validates the whole configuration once. Every problem found is reported together, each with the file,
 * the key path and the line, so an operator can fix them in one pass; nothing is half-loaded.
 */
export function loadConfig(file: string = process.env.DUBAN_CONFIG ?? DEFAULT_CONFIG_PATH): DubanConfig {
  const mainPath = path.resolve(file);
  const problems: ConfigProblem[] = [];
  const main = readYaml(mainPath, mainFileSchema, problems);
  if (!main) throw new ConfigError(problems);

  const dir = path.dirname(mainPath);
  const unitsPath = path.resolve(dir, main.catalogue.units);
  const indicatorsPath = path.resolve(dir, main.catalogue.indicators);
  const units = readYaml(unitsPath, unitsFileSchema, problems)?.units;
  const calendar = readCalendar(path.resolve(dir, main.calendar), problems);
  const indicators = readYaml(indicatorsPath, indicatorsFileSchema, problems)?.indicators;
  const rulesFile = path.resolve(dir, main.rules);
  const rules = readRules(rulesFile, indicators, units, problems);
  const templates = readTemplates(path.resolve(dir, main.letters.templates), (file, message) => problems.push({ file, path: '', message }));

  for (const [at, expression] of [['ingest.schedule', main.ingest.schedule], ['queue.sweep', main.queue.sweep]] as const) {
    if (!cron.validate(expression)) problems.push({ file: mainPath, path: at, message: `不是有效的 cron 表达式：${expression}` });
  }
  checkUnique(main.sources.map((s) => s.name), mainPath, 'sources', 'name', problems);
  const sources = main.sources.map((s) => (s.type === 'csv' ? { ...s, path: path.resolve(dir, s.path) } : s));

  if (units) checkUnits(units, unitsPath, problems);
  if (indicators) {
    checkUnique(indicators.map((i) => i.code), indicatorsPath, 'indicators', 'code', problems);
    checkUnique(indicators.map((i) => i.name), indicatorsPath, 'indicators', 'name', problems);
    if (units) {
      const kinds = new Map(units.map((u) => [u.code, u.kind]));
      indicators.forEach((ind, i) => {
        if (ind.sourceDepartment && kinds.get(ind.sourceDepartment) !== 'department') {
          problems.push({
            file: indicatorsPath,
            path: `indicators[${i}].sourceDepartment`,
            message: `“${ind.sourceDepartment}”不是 ${path.basename(unitsPath)} 中的部门`,
          });
        }
        if (ind.scope !== 'all' && 'units' in ind.scope) {
          ind.scope.units.forEach((code, j) => {
            if (!kinds.has(code)) problems.push({ file: indicatorsPath, path: `indicators[${i}].scope.units[${j}]`, message: `单位“${code}”不在 ${path.basename(unitsPath)} 中` });
          });
        }
      });
    }
  }
  const checkpoints = main.audit.checkpoints && readCheckpointConfig(main.audit.checkpoints, dir, mainPath, problems);
  if (problems.length > 0 || !units || !indicators || !templates) throw new ConfigError(problems);
  return {
    file: mainPath,
    timezone: main.timezone,
    ingest: main.ingest,
    problems: main.problems,
    delivery: main.delivery,
    bureau: main.bureau,
    letters: main.letters,
    ops: main.ops,
    queue: main.queue,
    audit: checkpoints ? { checkpoints } : {},
    templates,
    sources,
    indicators,
    units,
    calendar,
    rules,
    rulesFile,
  };
}

function readYaml<S extends z.ZodType>(file: string, schema: S, problems: ConfigProblem[]): z.infer<S> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ file, path: '', message: `无法读取文件：${(err as NodeJS.ErrnoException).code ?? String(err)}` });
    return undefined;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      problems.push({ file, path: '', line: lineCounter.linePos(e.pos[0]).line, message: `YAML 语法错误：${e.message}` });
    }
    return undefined;
  }
  const result = schema.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    problems.push({ file, path: formatPath(issue.path), line: lineOf(doc, issue.path, lineCounter), message: issue.message });
  }
  return undefined;
}

/** The line of the deepest node along the path that exists, so a missing key points at its parent. */
function lineOf(doc: ReturnType<typeof parseDocument>, keyPath: ReadonlyArray<PropertyKey>, lc: LineCounter): number | undefined {
  for (let n = keyPath.length; n >= 0; n--) {
    const node = doc.getIn(keyPath.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

/** A rules file, checked against the catalogue it will run on. Also used for `rules apply --file` and `rules test`. */
export function readRules(
  file: string,
  indicators: IndicatorConfig[] | undefined,
  units: UnitConfig[] | undefined,
  problems: ConfigProblem[],
): RuleDefinition[] {
  const parsed = readYaml(file, rulesFileSchema, problems);
  if (!parsed) return [];
  checkUnique(parsed.rules.map((r) => r.id), file, 'rules', 'id', problems);
  const indicatorCodes = new Set(indicators?.map((i) => i.code));
  const unitCodes = new Set(units?.map((u) => u.code));
  parsed.rules.forEach((r, i) => {
    if (indicators && r.indicators !== 'all') {
      r.indicators.forEach((code, j) => {
        if (!indicatorCodes.has(code)) problems.push({ file, path: `rules[${i}].indicators[${j}]`, message: `指标“${code}”不在指标目录中` });
      });
    }
    if (units && r.scope !== 'all' && 'units' in r.scope) {
      r.scope.units.forEach((code, j) => {
        if (!unitCodes.has(code)) problems.push({ file, path: `rules[${i}].scope.units[${j}]`, message: `单位“${code}”不在单位目录中` });
      });
    }
  });
  return parsed.rules;
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
    const file = path.join(folder, name);
    const cal = readYaml(file, calendarFileSchema, problems);
    if (!cal) continue;
    const bad = (p: string, message: string) => problems.push({ file, path: p, message });
    if (String(cal.year) !== name.slice(0, 4)) bad('year', `年份 ${cal.year} 与文件名 ${name} 不符`);
    const inYear = (d: string, p: string) => {
      if (!isDay(d)) bad(p, `不是有效日期：${d}`);
      else if (!d.startsWith(`${cal.year}-`)) bad(p, `${d} 不在 ${cal.year} 年`);
      else return true;
      return false;
    };
    const off = new Set<string>();
    cal.holidays.forEach((h, i) => {
      if (inYear(h.from, `holidays[${i}].from`) && inYear(h.to, `holidays[${i}].to`)) {
        if (h.to < h.from) bad(`holidays[${i}]`, `结束日 ${h.to} 早于开始日 ${h.from}`);
        for (let d = h.from; d <= h.to; d = addDays(d, 1)) off.add(d);
      }
    });
    cal.workdays.forEach((w, i) => {
      if (!inYear(w.day, `workdays[${i}].day`)) return;
      if (weekday(w.day) !== 0 && weekday(w.day) !== 6) bad(`workdays[${i}].day`, `${w.day} 不是周末，无需列为调休上班日`);
      if (off.has(w.day)) bad(`workdays[${i}].day`, `${w.day} 同时被列为放假日`);
    });
    years.push(cal);
  }
  return years;
}

function checkUnique(values: string[], file: string, list: string, key: string, problems: ConfigProblem[]): void {
  const seen = new Map<string, number>();
  values.forEach((v, i) => {
    const first = seen.get(v);
    if (first !== undefined) problems.push({ file, path: `${list}[${i}].${key}`, message: `“${v}”与 ${list}[${first}] 重复` });
    else seen.set(v, i);
  });
}

function checkUnits(units: UnitConfig[], file: string, problems: ConfigProblem[]): void {
  checkUnique(units.map((u) => u.code), file, 'units', 'code', problems);
  // A unit is named in data by code, name or alias, so all three share one namespace.
  const names = new Map<string, string>();
  units.forEach((u, i) => {
    for (const label of [u.code, u.name, ...u.aliases]) {
      const owner = names.get(label);
      if (owner && owner !== u.code) {
        problems.push({ file, path: `units[${i}]`, message: `名称或别名“${label}”已被单位 ${owner} 使用` });
      }
      names.set(label, u.code);
    }
  });
  const codes = new Set(units.map((u) => u.code));
  units.forEach((u, i) => {
    if (u.parent && !codes.has(u.parent)) {
      problems.push({ file, path: `units[${i}].parent`, message: `上级单位“${u.parent}”不存在` });
    }
  });
}

function readCheckpointConfig(c: NonNullable<MainFile['audit']['checkpoints']>, dir: string, mainPath: string, problems: ConfigProblem[]): CheckpointConfig | undefined {
  const publicKeyFile = path.resolve(dir, c.publicKey);
  try {
    const publicKey = readPublicKey(publicKeyFile);
    return { dir: path.resolve(dir, c.dir), publicKeyFile, publicKey, recipients: c.recipients, time: c.time };
  } catch (err) {
    problems.push({ file: mainPath, path: 'audit.checkpoints.publicKey', message: (err as Error).message });
    return undefined;
  }
}
