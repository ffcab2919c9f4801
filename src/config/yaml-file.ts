/**
 * Reading one YAML configuration file and reporting its problems where they are: the file, the key path and the line.
 * Both loadConfig (main file, catalogue, calendar, rules) and the catalogue checks report through these, so they live
 * apart from either.
 */
import { readFileSync } from 'node:fs';
import { type Document, LineCounter, isNode, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { ConfigProblem, formatPath } from './config-error';
import { parsePlainYaml } from './plain-yaml';

/**
 * How far a file may expand YAML aliases (the yaml package counts uses of an anchor times the aliases nested in it).
 * A catalogue that shares a contact block among its units stays far below; a "billion laughs" file (nine levels of
 * nine aliases) reaches it after a few expansions, instead of handing zod 9^9 nodes to walk.
 */
const MAX_ALIAS_COUNT = 100;

/** One YAML file as read, before validation: its data, and where a key path is in it. */
export interface YamlFile {
  file: string;
  data: unknown;
  line(keyPath: ReadonlyArray<PropertyKey>): number | undefined;
}

export function problemAt(yaml: YamlFile, keyPath: ReadonlyArray<PropertyKey>, message: string): ConfigProblem {
  return { file: yaml.file, path: formatPath(keyPath), line: yaml.line(keyPath), message };
}

/** A file that fails in a way nobody foresaw is still that file's problem, not a crash that hides every other one. */
function unexpected(file: string, err: unknown): ConfigProblem {
  return { file, path: '', message: `读取文件时出错：${err instanceof Error ? err.message : String(err)}` };
}

export interface ReadOptions {
  /**
   * Try plain-yaml.ts first (a large file: the units catalogue). It reads a file written in plain YAML to the same
   * data and lines in one pass, and gives up on anything else, which is then read here as any file is.
   */
  plain?: boolean;
}

export function readYamlFile(file: string, problems: ConfigProblem[], options: ReadOptions = {}): YamlFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ file, path: '', message: `无法读取文件：${(err as NodeJS.ErrnoException).code ?? String(err)}` });
    return undefined;
  }
  try {
    const plain = options.plain ? parsePlainYaml(text) : undefined;
    if (plain) return { file, data: plain.data, line: plain.line };
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: false });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        problems.push({ file, path: '', line: lineCounter.linePos(e.pos[0]).line, message: `YAML 语法错误：${e.message}` });
      }
      return undefined;
    }
    let data: unknown;
    try {
      // toJS is where aliases are expanded: bounded here, so a crafted file fails at once rather than filling memory.
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
    } catch (err) {
      problems.push(aliasProblem(file, doc, lineCounter, err));
      return undefined;
    }
    return { file, data, line: (keyPath) => lineOf(doc, keyPath, lineCounter) };
  } catch (err) {
    problems.push(unexpected(file, err));
    return undefined;
  }
}

/** What toJS threw, in the operator's words. The yaml package tells its alias errors apart only by their message. */
function aliasProblem(file: string, doc: Document.Parsed, lc: LineCounter, err: unknown): ConfigProblem {
  const message = err instanceof Error ? err.message : String(err);
  if (/excessive alias count/i.test(message)) {
    return { file, path: '', message: 'YAML 别名展开过多（可能是恶意构造的文件），已停止读取' };
  }
  const unresolved = /unresolved alias.*?:\s*(\S+)/i.exec(message);
  if (unresolved) {
    const source = unresolved[1]!;
    let line: number | undefined;
    visit(doc, {
      Alias(_key, node) {
        if (node.source !== source || !node.range) return undefined;
        line = lc.linePos(node.range[0]).line;
        return visit.BREAK;
      },
    });
    return { file, path: '', line, message: `YAML 别名 *${source} 没有对应的锚点（锚点 &${source} 须写在别名之前）` };
  }
  return unexpected(file, err);
}

export function validate<S extends z.ZodType>(yaml: YamlFile, schema: S, problems: ConfigProblem[]): z.infer<S> | undefined {
  try {
    const result = schema.safeParse(yaml.data);
    if (result.success) return result.data;
    for (const issue of result.error.issues) problems.push(problemAt(yaml, issue.path, issue.message));
  } catch (err) {
    problems.push(unexpected(yaml.file, err));
  }
  return undefined;
}

export interface ReadYamlOptions<T> extends ReadOptions {
  /**
   * The schema's common case checked by hand (units-shape.ts): the value schema.parse would return when the data is
   * certainly valid, else undefined, and the schema runs and reports as always.
   */
  fastPath?: (data: unknown) => T | undefined;
}

export function readYaml<S extends z.ZodType>(
  file: string,
  schema: S,
  problems: ConfigProblem[],
  options: ReadYamlOptions<z.infer<S>> = {},
): { yaml: YamlFile; data: z.infer<S> } | undefined {
  const yaml = readYamlFile(file, problems, options);
  if (!yaml) return undefined;
  const data = fastPath(yaml, options.fastPath) ?? validate(yaml, schema, problems);
  return data !== undefined ? { yaml, data } : undefined;
}

function fastPath<T>(yaml: YamlFile, check: ((data: unknown) => T | undefined) | undefined): T | undefined {
  if (!check) return undefined;
  try {
    return check(yaml.data);
  } catch {
    // Whatever it tripped on, the schema will say it properly.
    return undefined;
  }
}

/** The line of the deepest node along the path that exists, so a missing key points at its parent. */
function lineOf(doc: Document.Parsed, keyPath: ReadonlyArray<PropertyKey>, lc: LineCounter): number | undefined {
  for (let n = keyPath.length; n >= 0; n--) {
    const node = doc.getIn(keyPath.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

/**
 * Values that must differ along a list (codes, source names, rule ids); a repeat is reported at its own line. Returns
 * where each value is first, for the checks that look values up.
 */
export function checkUnique(values: readonly string[], yaml: YamlFile, list: string, key: string, problems: ConfigProblem[]): Map<string, number> {
  const seen = new Map<string, number>();
  values.forEach((v, i) => {
    const first = seen.get(v);
    if (first === undefined) {
      seen.set(v, i);
      return;
    }
    const firstLine = yaml.line([list, first, key]);
    problems.push(problemAt(yaml, [list, i, key], `“${v}”与 ${list}[${first}] 重复${firstLine ? `（前者在第 ${firstLine} 行）` : ''}`));
  });
  return seen;
}
