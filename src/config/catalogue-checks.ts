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

/** The labels of one unit or indicator: its code, its name, and its aliases (别名 or 表头别名). */
interface Labelled {
  code: string;
  name: string;
  aliases: readonly string[];
}

/** Where the entries are in their file, and what their aliases are called. */
interface LabelList {
  noun: '单位' | '指标';
  list: 'units' | 'indicators';
  aliasKey: 'aliases' | 'headerAliases';
  aliasWhat: '别名' | '表头别名';
}

/**
 * Data names a unit (in a cell) or an indicator (in a header or a cell) by any of its labels, compared by labelKey,
 * which folds full width, whitespace and case. Two entries whose labels fold to the same key could not be told apart
 * where the data names one of them, so the later label is reported at its line, naming both entries. An entry's own
 * labels may fold together (code `langxi`, alias `LANGXI`): they lead to the same entry. A label with no key at all
 * (only blanks) would match nothing that is written, and is reported too.
 *
 * One pass with the labels indexed by key: a label is a pair of numbers (its entry, and 0 for the code, 1 for the
 * name, 2 + j for alias j) until a problem needs its text, its path and its line, so that a catalogue of 50,000 units
 * costs one labelKey per label and nothing else.
 */
function checkLabels(yaml: YamlFile, what: LabelList, entries: readonly Labelled[], problems: ConfigProblem[]): void {
  const { noun } = what;
  const slots = new Map<string, number>();
  const slotEntry: number[] = [];
  const slotLabel: number[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const count = 2 + entry.aliases.length;
    for (let l = 0; l < count; l++) {
      const text = labelText(entry, l);
      const key = labelKey(text);
      if (key === '') {
        problems.push(problemAt(yaml, labelPath(what, i, l), `${labelWhat(what, l)}“${text}”只有空白，无法用来识别${noun}`));
        continue;
      }
      const slot = slots.get(key);
      if (slot === undefined) {
        slots.set(key, slotEntry.length);
        slotEntry.push(i);
        slotLabel.push(l);
        continue;
      }
      const ownerEntry = entries[slotEntry[slot]!]!;
      // The same entry, or one whose code repeats another's: that repeat is reported once, by checkUnique.
      if (ownerEntry.code === entry.code) continue;
      // Reported where the fix most likely is: at an alias rather than at a code or name (those are what letters and
      // files use), else at the later of the two.
      const owner = { entry: slotEntry[slot]!, label: slotLabel[slot]! };
      const self = { entry: i, label: l };
      const [at, other] = rank(owner.label) > rank(self.label) ? [owner, self] : [self, owner];
      const atEntry = entries[at.entry]!;
      const otherEntry = entries[other.entry]!;
      const atText = labelText(atEntry, at.label);
      const otherText = labelText(otherEntry, other.label);
      const otherLine = yaml.line(labelPath(what, other.entry, other.label));
      const how = otherText === atText ? '相同' : '在忽略全角半角、空白和大小写后相同';
      problems.push(
        problemAt(
          yaml,
          labelPath(what, at.entry, at.label),
          `${noun} ${atEntry.code}（${atEntry.name}）的${labelWhat(what, at.label)}“${atText}”与${noun} ${otherEntry.code}（${otherEntry.name}）的${labelWhat(what, other.label)}“${otherText}”${otherLine ? `（第 ${otherLine} 行）` : ''}${how}，数据中无法确定指的是哪个${noun}`,
        ),
      );
    }
  }
}

function labelText(entry: Labelled, l: number): string {
  return l === 0 ? entry.code : l === 1 ? entry.name : entry.aliases[l - 2]!;
}

/** 代码, 名称, 别名, 表头别名: what the label is, as the message names it. */
function labelWhat(what: LabelList, l: number): string {
  return l === 0 ? '代码' : l === 1 ? '名称' : what.aliasWhat;
}

function labelPath(what: LabelList, i: number, l: number): Array<string | number> {
  return l === 0 ? [what.list, i, 'code'] : l === 1 ? [what.list, i, 'name'] : [what.list, i, what.aliasKey, l - 2];
}

/** Codes and names are what letters and files use; an alias is the label most likely added by mistake. */
function rank(l: number): number {
  return l === 0 ? 0 : l === 1 ? 1 : 2;
}

export function checkUnits(units: UnitConfig[], yaml: YamlFile, problems: ConfigProblem[]): void {
  // Where each code is first: what a parent names.
  const index = checkUnique(units.map((u) => u.code), yaml, 'units', 'code', problems);
  checkLabels(yaml, { noun: '单位', list: 'units', aliasKey: 'aliases', aliasWhat: '别名' }, units, problems);
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
  // Each unit is walked from once: 0 not yet, 1 on the chain being walked (at place[i]), 2 settled.
  const state = new Uint8Array(units.length);
  const place = new Int32Array(units.length);
  const chain: number[] = [];
  for (let start = 0; start < units.length; start++) {
    chain.length = 0;
    let at: number | undefined = start;
    while (at !== undefined && state[at] === 0) {
      state[at] = 1;
      place[at] = chain.length;
      chain.push(at);
      const parent: string | undefined = units[at]!.parent;
      at = parent === undefined ? undefined : index.get(parent);
    }
    if (at !== undefined && state[at] === 1) {
      const loop = chain.slice(place[at]);
      const first = loop.reduce((a, b) => Math.min(a, b));
      const from = loop.indexOf(first);
      const ordered = [...loop.slice(from), ...loop.slice(0, from), first];
      problems.push(problemAt(yaml, ['units', first, 'parent'], `上级单位形成循环：${ordered.map((i) => units[i]!.code).join(' → ')}`));
    }
    for (const i of chain) state[i] = 2;
  }
}

export function checkIndicators(indicators: IndicatorConfig[], yaml: YamlFile, problems: ConfigProblem[]): void {
  checkUnique(indicators.map((i) => i.code), yaml, 'indicators', 'code', problems);
  // A repeated name is a collision of labels too, reported there with both indicators and the line.
  checkLabels(
    yaml,
    { noun: '指标', list: 'indicators', aliasKey: 'headerAliases', aliasWhat: '表头别名' },
    indicators.map((ind) => ({ code: ind.code, name: ind.name, aliases: ind.headerAliases })),
    problems,
  );
}

/** An indicator's source department must be a department in the units file, and the units it is scoped to must be there. */
export function checkIndicatorUnits(indicators: IndicatorConfig[], units: UnitConfig[], unitsPath: string, yaml: YamlFile, problems: ConfigProblem[]): void {
  // The kinds of only the codes the indicators name (of a repeated code, the last), not of every unit.
  const named = new Set(indicators.flatMap((ind) => [...(ind.sourceDepartment ? [ind.sourceDepartment] : []), ...(ind.scope !== 'all' && 'units' in ind.scope ? ind.scope.units : [])]));
  const kinds = new Map<string, UnitConfig['kind']>();
  for (const u of units) if (named.has(u.code)) kinds.set(u.code, u.kind);
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
