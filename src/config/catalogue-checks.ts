/**
 * The checks of the unit and indicator catalogues beyond their schemas: repeated codes, labels that data could not
 * tell apart, parents that are missing or form a loop, and indicators naming units the catalogue lacks. Kept out of
 * load-config.ts, which reads and locates the files; these only look at what was read.
 */
import path from 'node:path';
import type { ConfigProblem } from './config-error';
import { labelKey } from '../domain/labels';
import type { IndicatorConfig, UnitConfig } from './schema';
import { checkUnique, problemAt, YamlFile } from './yaml-file';

/** One way a unit or an indicator may be named in data, and where the catalogue says so. */
interface Label {
  text: string;
  /** 代码, 名称, 别名, 表头别名: what the label is, as the message names it. */
  what: string;
  at: Array<string | number>;
}

/**
 * Data names a unit (in a cell) or an indicator (in a header or a cell) by any of its labels, compared by labelKey,
 * which folds full width, whitespace and case. Two entries whose labels fold to the same key could not be told apart
 * where the data names one of them, so the later label is reported at its line, naming both entries. An entry's own
 * labels may fold together (code `langxi`, alias `LANGXI`): they lead to the same entry. A label with no key at all
 * (only blanks) would match nothing that is written, and is reported too.
 */
function checkLabels(
  yaml: YamlFile,
  noun: '单位' | '指标',
  entries: ReadonlyArray<{ code: string; name: string; labels: Label[] }>,
  problems: ConfigProblem[],
): void {
  const owners = new Map<string, { entry: (typeof entries)[number]; label: Label }>();
  for (const entry of entries) {
    for (const label of entry.labels) {
      const key = labelKey(label.text);
      if (key === '') {
        problems.push(problemAt(yaml, label.at, `${label.what}“${label.text}”只有空白，无法用来识别${noun}`));
        continue;
      }
      const owner = owners.get(key);
      if (!owner) {
        owners.set(key, { entry, label });
        continue;
      }
      // The same entry, or one whose code repeats another's: that repeat is reported once, by checkUnique.
      if (owner.entry.code === entry.code) continue;
      // Reported where the fix most likely is: at an alias rather than at a code or name (those are what letters and
      // files use), else at the later of the two.
      const [at, other] = rank(owner.label) > rank(label) ? [owner, { entry, label }] : [{ entry, label }, owner];
      const otherLine = yaml.line(other.label.at);
      const how = other.label.text === at.label.text ? '相同' : '在忽略全角半角、空白和大小写后相同';
      problems.push(
        problemAt(
          yaml,
          at.label.at,
          `${noun} ${at.entry.code}（${at.entry.name}）的${at.label.what}“${at.label.text}”与${noun} ${other.entry.code}（${other.entry.name}）的${other.label.what}“${other.label.text}”${otherLine ? `（第 ${otherLine} 行）` : ''}${how}，数据中无法确定指的是哪个${noun}`,
        ),
      );
    }
  }
}

/** Codes and names are what letters and files use; an alias is the label most likely added by mistake. */
function rank(label: Label): number {
  return label.what === '代码' ? 0 : label.what === '名称' ? 1 : 2;
}

export function checkUnits(units: UnitConfig[], yaml: YamlFile, problems: ConfigProblem[]): void {
  checkUnique(units.map((u) => u.code), yaml, 'units', 'code', problems);
  checkLabels(
    yaml,
    '单位',
    units.map((u, i) => ({
      code: u.code,
      name: u.name,
      labels: [
        { text: u.code, what: '代码', at: ['units', i, 'code'] },
        { text: u.name, what: '名称', at: ['units', i, 'name'] },
        ...u.aliases.map((text, j) => ({ text, what: '别名', at: ['units', i, 'aliases', j] })),
      ],
    })),
    problems,
  );
  const index = new Map<string, number>();
  units.forEach((u, i) => {
    if (!index.has(u.code)) index.set(u.code, i);
  });
  units.forEach((u, i) => {
    if (u.parent !== undefined && !index.has(u.parent)) problems.push(problemAt(yaml, ['units', i, 'parent'], `上级单位“${u.parent}”不存在`));
  });
  checkParentLoops(units, index, yaml, problems);
}

/**
 * A parent chain must end: a loop (a → b → a) has no top, and anything that walks up from a county to the city would
 * never stop. Each loop is reported once, at the parent of its first unit in the file.
 */
function checkParentLoops(units: UnitConfig[], index: ReadonlyMap<string, number>, yaml: YamlFile, problems: ConfigProblem[]): void {
  const settled = new Set<number>();
  units.forEach((_, start) => {
    const chain: number[] = [];
    const placeOnChain = new Map<number, number>();
    let at: number | undefined = start;
    while (at !== undefined && !settled.has(at) && !placeOnChain.has(at)) {
      placeOnChain.set(at, chain.length);
      chain.push(at);
      const parent: string | undefined = units[at]!.parent;
      at = parent === undefined ? undefined : index.get(parent);
    }
    const loopStart = at === undefined ? undefined : placeOnChain.get(at);
    if (loopStart !== undefined) {
      const loop = chain.slice(loopStart);
      const first = Math.min(...loop);
      const from = loop.indexOf(first);
      const ordered = [...loop.slice(from), ...loop.slice(0, from), first];
      problems.push(problemAt(yaml, ['units', first, 'parent'], `上级单位形成循环：${ordered.map((i) => units[i]!.code).join(' → ')}`));
    }
    for (const i of chain) settled.add(i);
  });
}

export function checkIndicators(indicators: IndicatorConfig[], yaml: YamlFile, problems: ConfigProblem[]): void {
  checkUnique(indicators.map((i) => i.code), yaml, 'indicators', 'code', problems);
  // A repeated name is a collision of labels too, reported there with both indicators and the line.
  checkLabels(
    yaml,
    '指标',
    indicators.map((ind, i) => ({
      code: ind.code,
      name: ind.name,
      labels: [
        { text: ind.code, what: '代码', at: ['indicators', i, 'code'] },
        { text: ind.name, what: '名称', at: ['indicators', i, 'name'] },
        ...ind.headerAliases.map((text, j) => ({ text, what: '表头别名', at: ['indicators', i, 'headerAliases', j] })),
      ],
    })),
    problems,
  );
}

/** An indicator's source department must be a department in the units file, and the units it is scoped to must be there. */
export function checkIndicatorUnits(indicators: IndicatorConfig[], units: UnitConfig[], unitsPath: string, yaml: YamlFile, problems: ConfigProblem[]): void {
  const kinds = new Map(units.map((u) => [u.code, u.kind]));
  indicators.forEach((ind, i) => {
    if (ind.sourceDepartment && kinds.get(ind.sourceDepartment) !== 'department') {
      problems.push(problemAt(yaml, ['indicators', i, 'sourceDepartment'], `“${ind.sourceDepartment}”不是 ${path.basename(unitsPath)} 中的部门`));
    }
    if (ind.scope !== 'all' && 'units' in ind.scope) {
      ind.scope.units.forEach((code, j) => {
        if (!kinds.has(code)) problems.push(problemAt(yaml, ['indicators', i, 'scope', 'units', j], `单位“${code}”不在 ${path.basename(unitsPath)} 中`));
      });
    }
  });
}
