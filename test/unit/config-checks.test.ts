import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, ConfigProblem } from '../../src/config/config-error';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../src/config/load-config';
import { parsePlainYaml } from '../../src/config/plain-yaml';
import { unitSchema } from '../../src/config/schema';
import { unitsFileFastPath } from '../../src/config/units-shape';
import { tempDir } from '../helpers/temp-dir';

const shipped = path.dirname(DEFAULT_CONFIG_PATH);
const FILES = ['duban.yaml', 'indicators.yaml', 'units.yaml', 'rules.yaml'] as const;
type ConfigFile = (typeof FILES)[number];

/** A copy of the shipped config in a temp folder, some files' text changed; the calendar and templates stay shipped. */
function configWith(edits: Partial<Record<ConfigFile, (text: string) => string>>) {
  const dir = tempDir();
  for (const f of FILES) {
    let text = readFileSync(path.join(shipped, f), 'utf8');
    if (f === 'duban.yaml') {
      text = text.replace('calendar: calendar', `calendar: ${path.join(shipped, 'calendar')}`).replace('templates: templates', `templates: ${path.join(shipped, 'templates')}`);
    }
    const edit = edits[f];
    writeFileSync(dir.file(f), edit ? edit(text) : text);
  }
  return dir;
}

/** Replaces exactly one occurrence, so that a change in the shipped files breaks the test rather than the edit. */
function once(from: string, to: string): (text: string) => string {
  return (text) => {
    const at = text.indexOf(from);
    if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one “${from}”`);
    return text.slice(0, at) + to + text.slice(at + from.length);
  };
}

/** The line (1-based) of the nth line of the file that contains `needle`. */
function lineWith(file: string, needle: string, nth = 1): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  let seen = 0;
  const i = lines.findIndex((l) => l.includes(needle) && ++seen === nth);
  if (i < 0) throw new Error(`no “${needle}” in ${file}`);
  return i + 1;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const where = (p: ConfigProblem) => `${path.basename(p.file)}:${p.line ?? '?'} ${p.path}`;

describe('loadConfig reports every file at once', () => {
  it('still reads units, indicators and rules when the main file is invalid, and checks its valid sections', () => {
    const dir = configWith({
      'duban.yaml': (t) =>
        once('timezone: Asia/Shanghai', 'timezone: Mars/Olympus')(t)
          .replace('units: units.yaml', 'units: units-2026.yaml')
          .replace('sweep: "*/10 * * * *"', 'sweep: "often"'),
      'indicators.yaml': once('alert: 76', 'alert: high'),
      'rules.yaml': once('severity: major\n    for: 3', 'severity: fatal\n    for: 3'),
    });
    // The main file names its units file itself: that one, not the default, is read.
    writeFileSync(dir.file('units-2026.yaml'), once('name: 宁国市\n', 'name: ""\n')(readFileSync(dir.file('units.yaml'), 'utf8')));
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(err.problems.map(where)).toEqual([
      `duban.yaml:${lineWith(dir.file('duban.yaml'), 'timezone:')} timezone`,
      `units-2026.yaml:${lineWith(dir.file('units-2026.yaml'), 'name: ""')} units[4].name`,
      `indicators.yaml:${lineWith(dir.file('indicators.yaml'), 'alert: high')} indicators[1].alert`,
      `rules.yaml:${lineWith(dir.file('rules.yaml'), 'severity: fatal')} rules[1].severity`,
      `duban.yaml:${lineWith(dir.file('duban.yaml'), 'sweep: "often"')} queue.sweep`,
    ]);
    expect(err.message).toContain('duban.yaml');
    expect(err.message).toContain('units-2026.yaml');
    expect(err.message).toContain('indicators.yaml');
    dir.remove();
  });

  it('locates the other files by their defaults when the main file does not name them', () => {
    const dir = configWith({
      'duban.yaml': (t) => once('catalogue:\n  indicators: indicators.yaml\n  units: units.yaml\n', '')(t).replace('lagDays: 1', 'lagDays: -1'),
      'units.yaml': once('kind: county\n    parent: xuancheng\n    contacts:\n      - { name: 郎溪县', 'kind: township\n    parent: xuancheng\n    contacts:\n      - { name: 郎溪县'),
    });
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(err.problems.map((p) => `${path.basename(p.file)} ${p.path}`)).toEqual(['duban.yaml ingest.lagDays', 'units.yaml units[2].kind']);
    dir.remove();
  });

  it('does not guess a file the main file names wrongly', () => {
    const dir = configWith({ 'duban.yaml': once('units: units.yaml', 'units: 42') });
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(err.problems.map((p) => `${path.basename(p.file)} ${p.path}`)).toEqual(['duban.yaml catalogue.units']);
    dir.remove();
  });
});

describe('labels that fold together', () => {
  const collision = (units: (t: string) => string) => {
    const dir = configWith({ 'units.yaml': units });
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    return { dir, err, file: dir.file('units.yaml') };
  };

  it.each([
    ['LANGXI', 'LANGXI', '代码“langxi”'],
    ['"郎溪县 "', '郎溪县 ', '名称“郎溪县”'],
    ['ＬＡＮＧＸＩ', 'ＬＡＮＧＸＩ', '代码“langxi”'],
    ['"Lang Xi"', 'Lang Xi', '代码“langxi”'],
  ])('an alias %s of another unit is an error at its line, naming both units', (written, text, other) => {
    const { dir, err, file } = collision(once('name: 宣州区\n', `name: 宣州区\n    aliases: [${written}]\n`));
    expect(err.problems).toEqual([
      {
        file,
        path: 'units[1].aliases[0]',
        line: lineWith(file, `aliases: [${written}]`),
        message: expect.stringContaining(`单位 xuanzhou（宣州区）的别名“${text}”与单位 langxi（郎溪县）的${other}（第 ${lineWith(file, other.includes('代码') ? 'code: langxi' : 'name: 郎溪县')} 行）`),
      },
    ]);
    expect(err.problems[0]!.message).toContain('数据中无法确定指的是哪个单位');
    dir.remove();
  });

  it('names the alias even when the alias comes first in the file; of two aliases, the later', () => {
    const { dir, err, file } = collision(once('name: 宣州区\n', 'name: 宣州区\n    aliases: [市场监管局, " 郎溪县"]\n'));
    expect(err.problems.map(where)).toEqual([
      `units.yaml:${lineWith(file, '郎溪县"]')} units[1].aliases[1]`,
      `units.yaml:${lineWith(file, 'aliases: [市场监管局]')} units[9].aliases[0]`,
    ]);
    expect(err.problems[1]!.message).toBe(
      `单位 market_regulation（市市场监管局）的别名“市场监管局”与单位 xuanzhou（宣州区）的别名“市场监管局”（第 ${lineWith(file, '郎溪县"]')} 行）相同，数据中无法确定指的是哪个单位`,
    );
    dir.remove();
  });

  it('lets a unit name itself several ways that fold together', () => {
    const dir = configWith({ 'units.yaml': once('name: 郎溪县\n', 'name: 郎溪县\n    aliases: [LANGXI, "郎溪县 ", ＬＡＮＧＸＩ]\n') });
    expect(loadConfig(dir.file('duban.yaml')).units.find((u) => u.code === 'langxi')!.aliases).toEqual(['LANGXI', '郎溪县 ', 'ＬＡＮＧＸＩ']);
    dir.remove();
  });

  it('checks indicators by code, name and headerAliases', () => {
    const dir = configWith({
      'indicators.yaml': (t) =>
        once('name: 全程网办率\n', 'name: 全程网办率\n    headerAliases: [网上办理率, 网上办件率]\n')(t).replace('name: 好评率\n', 'name: 好评率\n    headerAliases: [" Full_Online_Rate"]\n'),
    });
    const file = dir.file('indicators.yaml');
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(err.problems).toEqual([
      {
        file,
        path: 'indicators[0].headerAliases[1]',
        line: lineWith(file, 'headerAliases: [网上办理率, 网上办件率]'),
        message: `指标 full_online_rate（全程网办率）的表头别名“网上办件率”与指标 online_application_share（网上办件率）的名称“网上办件率”（第 ${lineWith(file, 'name: 网上办件率')} 行）相同，数据中无法确定指的是哪个指标`,
      },
      {
        file,
        path: 'indicators[7].headerAliases[0]',
        line: lineWith(file, 'Full_Online_Rate'),
        message: expect.stringContaining('与指标 full_online_rate（全程网办率）的代码“full_online_rate”'),
      },
    ]);
    dir.remove();

    const fine = configWith({ 'indicators.yaml': once('name: 全程网办率\n', 'name: 全程网办率\n    headerAliases: [网上办理率, 全程网办率（%）]\n') });
    expect(loadConfig(fine.file('duban.yaml')).indicators[0]!.headerAliases).toEqual(['网上办理率', '全程网办率（%）']);
    expect(loadConfig().indicators.every((i) => Array.isArray(i.headerAliases))).toBe(true);
    fine.remove();
  });

  it('refuses a label that is only blanks', () => {
    const { dir, err, file } = collision(once('name: 宣州区\n', 'name: 宣州区\n    aliases: ["\u3000"]\n'));
    expect(err.problems.map(where)).toEqual([`units.yaml:${lineWith(file, 'aliases: [')} units[1].aliases[0]`]);
    expect(err.problems[0]!.message).toContain('只有空白');
    dir.remove();
  });
});

describe('repeats and parents carry their line', () => {
  it('a repeated unit code, indicator code and name, source name and rule id', () => {
    const dir = configWith({
      'units.yaml': once('code: langxi', 'code: xuanzhou'),
      'indicators.yaml': (t) => once('code: instant_item_ratio', 'code: full_online_rate')(t).replace('name: 好评率', 'name: 全程网办率'),
      'rules.yaml': once('id: below_alert_sustained', 'id: below_alert'),
      'duban.yaml': once('sources:\n', 'sources:\n  - { name: demo, type: demo }\n'),
    });
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    const units = dir.file('units.yaml');
    const indicators = dir.file('indicators.yaml');
    expect(err.problems.map((p) => ({ ...p, file: path.basename(p.file) }))).toEqual([
      { file: 'rules.yaml', path: 'rules[1].id', line: lineWith(dir.file('rules.yaml'), 'id: below_alert', 2), message: `“below_alert”与 rules[0] 重复（前者在第 ${lineWith(dir.file('rules.yaml'), 'id: below_alert')} 行）` },
      { file: 'duban.yaml', path: 'sources[1].name', line: lineWith(dir.file('duban.yaml'), 'name: demo', 2), message: expect.stringContaining('“demo”与 sources[0] 重复（前者在第') },
      { file: 'units.yaml', path: 'units[2].code', line: lineWith(units, 'code: xuanzhou', 2), message: `“xuanzhou”与 units[1] 重复（前者在第 ${lineWith(units, 'code: xuanzhou')} 行）` },
      { file: 'indicators.yaml', path: 'indicators[1].code', line: lineWith(indicators, 'code: full_online_rate', 2), message: expect.stringContaining('“full_online_rate”与 indicators[0] 重复') },
      {
        file: 'indicators.yaml',
        path: 'indicators[7].name',
        line: lineWith(indicators, 'name: 全程网办率', 2),
        message: expect.stringContaining(`的名称“全程网办率”与指标 full_online_rate（全程网办率）的名称“全程网办率”（第 ${lineWith(indicators, 'name: 全程网办率')} 行）相同`),
      },
    ]);
    dir.remove();
  });

  it('a parent that does not exist', () => {
    const dir = configWith({ 'units.yaml': once('name: 郎溪县\n    kind: county\n    parent: xuancheng', 'name: 郎溪县\n    kind: county\n    parent: xuancity') });
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(err.problems).toEqual([
      { file: dir.file('units.yaml'), path: 'units[2].parent', line: lineWith(dir.file('units.yaml'), 'parent: xuancity'), message: '上级单位“xuancity”不存在' },
    ]);
    expect(err.message).toMatch(/units\.yaml:\d+ \(units\[2\]\.parent\): 上级单位“xuancity”不存在/);
    dir.remove();
  });

  it('a parent chain that loops, once per loop', () => {
    const dir = configWith({
      'units.yaml': (t) =>
        once('name: 宣城市\n    kind: city\n', 'name: 宣城市\n    kind: city\n    parent: langxi\n')(t).replace('name: 泾县\n    kind: county\n    parent: xuancheng', 'name: 泾县\n    kind: county\n    parent: jingxian'),
    });
    const file = dir.file('units.yaml');
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(err.problems).toEqual([
      { file, path: 'units[0].parent', line: lineWith(file, 'parent: langxi'), message: '上级单位形成循环：xuancheng → langxi → xuancheng' },
      { file, path: 'units[5].parent', line: lineWith(file, 'parent: jingxian'), message: '上级单位形成循环：jingxian → jingxian' },
    ]);
    dir.remove();
  });
});

describe('YAML aliases', () => {
  // Nine levels of nine aliases: 9^9 (387 million) strings if expanded.
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefghi'.split('').map((l, i) => `${l}: &${l} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`)].join('\n');

  it.each(['indicators.yaml', 'duban.yaml'] as const)('a billion laughs in %s fails at once, naming the file', (name) => {
    const dir = configWith({ [name]: (t: string) => (name === 'duban.yaml' ? bomb : `${bomb}\n${t}`) });
    const started = Date.now();
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err.problems).toEqual([{ file: dir.file(name), path: '', message: 'YAML 别名展开过多（可能是恶意构造的文件），已停止读取' }]);
    expect(err.message).toContain(`${dir.file(name)}: YAML 别名展开过多`);
    dir.remove();
  });

  it('lets a file share a block by an anchor', () => {
    const dir = configWith({
      'units.yaml': (t) => once('contacts:\n      - { name: 郎溪县数据资源局', 'contacts: &county_contacts\n      - { name: 郎溪县数据资源局')(t).replace(/(name: 旌德县\n(?:.*\n){2})    contacts:\n.*\n/, '$1    contacts: *county_contacts\n'),
    });
    const units = loadConfig(dir.file('duban.yaml')).units;
    expect(units.find((u) => u.code === 'jingde')!.contacts).toEqual(units.find((u) => u.code === 'langxi')!.contacts);
    dir.remove();
  });

  it('names an alias without its anchor, at its line', () => {
    const dir = configWith({ 'units.yaml': once('name: 宣州区\n', 'name: 宣州区\n    aliases: *county_names\n') });
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(err.problems).toEqual([
      { file: dir.file('units.yaml'), path: '', line: lineWith(dir.file('units.yaml'), '*county_names'), message: 'YAML 别名 *county_names 没有对应的锚点（锚点 &county_names 须写在别名之前）' },
    ]);
    dir.remove();
  });
});

describe('a file that throws while being read', () => {
  it('is a problem of that file; the others are still checked', () => {
    const dir = configWith({ 'units.yaml': once('name: 宁国市\n', 'name: ""\n') });
    jest.isolateModules(() => {
      // Nothing in a real file is known to make the yaml package throw; a stand-in that does, for one file only.
      jest.doMock('yaml', () => {
        const real = jest.requireActual<typeof import('yaml')>('yaml');
        return {
          ...real,
          parseDocument: (text: string, options: object) => {
            if (text.startsWith('# 政务服务指标目录')) throw new RangeError('Invalid string length');
            return real.parseDocument(text, options);
          },
        };
      });
      const isolated = require('../../src/config/load-config') as typeof import('../../src/config/load-config');
      let thrown: unknown;
      try {
        isolated.loadConfig(dir.file('duban.yaml'));
      } catch (err) {
        thrown = err;
      }
      const problems = (thrown as ConfigError).problems;
      expect(problems.map((p) => `${path.basename(p.file)} ${p.path}: ${p.message}`)).toEqual([
        expect.stringMatching(/^units\.yaml units\[4\]\.name: /),
        'indicators.yaml : 读取文件时出错：Invalid string length',
      ]);
    });
    jest.dontMock('yaml');
    dir.remove();
  });
});

describe('a catalogue of 50,000 units', () => {
  const shippedUnits = readFileSync(path.join(shipped, 'units.yaml'), 'utf8');
  const shippedCount = (shippedUnits.match(/^ {2}- code:/gm) ?? []).length;
  const code = (k: number) => `u${String(k).padStart(5, '0')}`;
  const name = (k: number) => `单位${String(k).padStart(5, '0')}`;

  /**
   * The shipped units, then `count` more in blocks of 50 under 宣城: a county and its 49 departments, each with two
   * aliases and a contact; `edit` may rewrite unit k's lines.
   */
  function catalogue(count: number, edit: (k: number, lines: string[]) => string[]): string {
    const out = [shippedUnits.trimEnd()];
    for (let k = 1; k <= count; k++) {
      const county = k - ((k - 1) % 50);
      const lines = [
        `  - code: ${code(k)}`,
        `    name: ${name(k)}`,
        `    kind: ${k === county ? 'county' : 'department'}`,
        `    parent: ${k === county ? 'xuancheng' : code(county)}`,
        `    aliases: [${name(k)}简称, 别名${k}]`,
        '    contacts:',
        `      - { name: 联络员${k}, email: ${code(k)}@example.gov.cn, phone: "0563-${String(k).padStart(7, '0')}", role: 联络员 }`,
      ];
      out.push(...edit(k, lines));
    }
    return `${out.join('\n')}\n`;
  }

  /** The line (1-based) of the nth line holding `needle`, in a long text. */
  function lineIn(text: string, needle: string, nth = 1): number {
    let at = -1;
    for (let n = 0; n < nth; n++) {
      at = text.indexOf(needle, at + 1);
      if (at < 0) throw new Error(`no “${needle}”`);
    }
    let line = 1;
    for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) line++;
    return line;
  }

  const index = (k: number) => shippedCount + k - 1;
  const replace = (from: string, to: string) => (lines: string[]) => lines.map((l) => l.replace(from, to));

  /** One error of each kind the catalogue checks find, planted among `count` units, with what each must report. */
  function checksPlanted(count: number) {
    const [dup, dupOf, same, folded, foldedOf, blank, orphan, loopA] = [0.4, 0.2, 0.5, 0.6, 0.8, 0.7, 0.84, 0.88].map((f) => Math.round(count * f));
    const loop = loopA! - ((loopA! - 1) % 50); // a county, and its first department, parent of each other
    const edits = new Map<number, (lines: string[]) => string[]>([
      [dup!, replace(`code: ${code(dup!)}`, `code: ${code(dupOf!)}`)],
      [same!, replace(`aliases: [${name(same!)}简称`, `aliases: [${name(7)}`)],
      [folded!, replace(`aliases: [${name(folded!)}简称`, `aliases: [Ｕ${code(foldedOf!).slice(1)}`)],
      [blank!, replace(`aliases: [${name(blank!)}简称`, 'aliases: [\u3000')],
      [orphan!, replace(`parent: ${code(orphan! - ((orphan! - 1) % 50))}`, 'parent: nowhere')],
      [loop, replace('parent: xuancheng', `parent: ${code(loop + 1)}`)],
    ]);
    const text = catalogue(count, (k, lines) => edits.get(k)?.(lines) ?? lines);
    const expected = (file: string) => [
      {
        file,
        path: `units[${index(dup!)}].code`,
        line: lineIn(text, `code: ${code(dupOf!)}`, 2),
        message: `“${code(dupOf!)}”与 units[${index(dupOf!)}] 重复（前者在第 ${lineIn(text, `code: ${code(dupOf!)}`)} 行）`,
      },
      {
        file,
        path: `units[${index(same!)}].aliases[0]`,
        line: lineIn(text, `aliases: [${name(7)}, `),
        message: `单位 ${code(same!)}（${name(same!)}）的别名“${name(7)}”与单位 ${code(7)}（${name(7)}）的名称“${name(7)}”（第 ${lineIn(text, `name: ${name(7)}`)} 行）相同，数据中无法确定指的是哪个单位`,
      },
      { file, path: `units[${index(blank!)}].aliases[0]`, line: lineIn(text, 'aliases: [\u3000'), message: '别名“\u3000”只有空白，无法用来识别单位' },
      {
        file,
        path: `units[${index(folded!)}].aliases[0]`,
        line: lineIn(text, 'aliases: [Ｕ'),
        message: `单位 ${code(folded!)}（${name(folded!)}）的别名“Ｕ${code(foldedOf!).slice(1)}”与单位 ${code(foldedOf!)}（${name(foldedOf!)}）的代码“${code(foldedOf!)}”（第 ${lineIn(text, `code: ${code(foldedOf!)}`)} 行）在忽略全角半角、空白和大小写后相同，数据中无法确定指的是哪个单位`,
      },
      { file, path: `units[${index(orphan!)}].parent`, line: lineIn(text, 'parent: nowhere'), message: '上级单位“nowhere”不存在' },
      { file, path: `units[${index(loop)}].parent`, line: lineIn(text, `parent: ${code(loop + 1)}`), message: `上级单位形成循环：${code(loop)} → ${code(loop + 1)} → ${code(loop)}` },
    ];
    return { text, expected };
  }

  /** One error of each kind the schema finds (a wrong kind, code, empty name, unknown key, bad address), with zod's messages. */
  function schemaPlanted(count: number) {
    const [kind, badCode, empty, unknown, email] = [0.25, 0.45, 0.65, 0.85, 0.99].map((f) => Math.round(count * f) + 1);
    const edits = new Map<number, (lines: string[]) => string[]>([
      [kind!, (lines) => lines.map((l) => l.replace(/kind: \w+/, 'kind: township'))],
      [badCode!, replace(`code: ${code(badCode!)}`, 'code: Bad-Code')],
      [empty!, replace(`name: ${name(empty!)}`, 'name: ""')],
      [unknown!, (lines) => [...lines, '    colour: red']],
      [email!, replace(`email: ${code(email!)}@example.gov.cn`, 'email: not-an-email')],
    ]);
    const text = catalogue(count, (k, lines) => edits.get(k)?.(lines) ?? lines);
    const zod = (unit: object, keyPath: PropertyKey[]) => {
      const issues = unitSchema.safeParse({ code: 'a', name: 'b', kind: 'county', ...unit }).error!.issues;
      expect(issues.map((i) => i.path)).toEqual([keyPath]);
      return issues[0]!.message;
    };
    const expected = (file: string) => [
      { file, path: `units[${index(kind!)}].kind`, line: lineIn(text, 'kind: township'), message: zod({ kind: 'township' }, ['kind']) },
      { file, path: `units[${index(badCode!)}].code`, line: lineIn(text, 'code: Bad-Code'), message: zod({ code: 'Bad-Code' }, ['code']) },
      { file, path: `units[${index(empty!)}].name`, line: lineIn(text, 'name: ""'), message: zod({ name: '' }, ['name']) },
      { file, path: `units[${index(unknown!)}]`, line: lineIn(text, `code: ${code(unknown!)}`), message: zod({ colour: 'red' }, []) },
      {
        file,
        path: `units[${index(email!)}].contacts[0].email`,
        line: lineIn(text, 'email: not-an-email'),
        message: zod({ contacts: [{ name: 'x', email: 'not-an-email' }] }, ['contacts', 0, 'email']),
      },
    ];
    return { text, expected };
  }

  function problemsOf(text: string) {
    const dir = configWith({ 'units.yaml': () => text });
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    dir.remove();
    return { file: dir.file('units.yaml'), problems: err.problems };
  }

  it('loads one that is right, read by the plain reader and checked by hand', () => {
    const text = catalogue(50_000, (_, lines) => lines);
    const plain = parsePlainYaml(text);
    expect(plain).toBeDefined();
    expect(unitsFileFastPath(plain!.data)).toBeDefined();
    const dir = configWith({ 'units.yaml': () => text });
    const config = loadConfig(dir.file('duban.yaml'));
    dir.remove();
    expect(config.units).toHaveLength(shippedCount + 50_000);
    expect(config.units.at(-1)).toEqual({
      code: 'u50000',
      name: '单位50000',
      kind: 'department',
      parent: 'u49951',
      aliases: ['单位50000简称', '别名50000'],
      contacts: [{ name: '联络员50000', email: 'u50000@example.gov.cn', phone: '0563-0050000', role: '联络员' }],
    });
  });

  it('reports exactly the planted catalogue errors, each at its line', () => {
    const { text, expected } = checksPlanted(50_000);
    const { file, problems } = problemsOf(text);
    expect(problems).toEqual(expected(file));
  });

  it('reports exactly the planted schema errors with zod’s messages, each at its line', () => {
    const { text, expected } = schemaPlanted(50_000);
    const { file, problems } = problemsOf(text);
    expect(problems).toEqual(expected(file));
  });

  it('reports as the yaml package and zod alone do (a file the plain reader leaves to them)', () => {
    for (const { text, expected } of [checksPlanted(2_000), schemaPlanted(2_000)]) {
      const fast = problemsOf(text);
      expect(fast.problems).toEqual(expected(fast.file));
      // A tab in a comment is nothing to YAML, but the plain reader leaves such a file to the yaml package.
      const slow = problemsOf(`${text}#\tthe end\n`);
      expect(slow.problems).toEqual(fast.problems.map((p) => ({ ...p, file: slow.file })));
    }
  });
});
