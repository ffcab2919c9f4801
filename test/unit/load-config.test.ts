import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../src/config/config-error';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../src/config/load-config';
import { tempDir } from '../helpers/temp-dir';

const shipped = path.dirname(DEFAULT_CONFIG_PATH);

/** A copy of the shipped config in a temp folder, with some files' text changed. */
function configWith(edits: Record<string, (text: string) => string>) {
  const dir = tempDir();
  for (const f of ['duban.yaml', 'indicators.yaml', 'units.yaml', 'rules.yaml']) {
    let text = readFileSync(path.join(shipped, f), 'utf8');
    if (f === 'duban.yaml') {
      text = text.replace('calendar: calendar', `calendar: ${path.join(shipped, 'calendar')}`).replace('templates: templates', `templates: ${path.join(shipped, 'templates')}`);
    }
    writeFileSync(dir.file(f), edits[f] ? edits[f](text) : text);
  }
  return dir;
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

describe('loadConfig', () => {
  it('loads the shipped configuration: 11 indicators, Xuancheng counties and city departments', () => {
    const config = loadConfig();
    expect(config.timezone).toBe('Asia/Shanghai');
    expect(config.indicators).toHaveLength(11);
    expect(config.indicators.map((i) => i.name)).toEqual(expect.arrayContaining(['全程网办率', '按时办结率', '好评率', '12345 按时办结率']));
    expect(config.units.filter((u) => u.kind === 'county').map((u) => u.name)).toEqual([
      '宣州区', '郎溪县', '广德市', '宁国市', '泾县', '绩溪县', '旌德县',
    ]);
    expect(config.units.filter((u) => u.kind === 'department').length).toBeGreaterThanOrEqual(7);
  });

  it('names the file, the key path and the line of a wrong value', () => {
    const dir = configWith({ 'units.yaml': (t) => t.replace('kind: county\n    parent: xuancheng\n    contacts:\n      - { name: 郎溪县', 'kind: township\n    parent: xuancheng\n    contacts:\n      - { name: 郎溪县') });
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ file: dir.file('units.yaml'), path: 'units[2].kind' });
    expect(err.message).toMatch(/units\.yaml:\d+ \(units\[2\]\.kind\): 无效选项/);
    dir.remove();
  });

  it('reports every problem at once, across files', () => {
    const dir = configWith({
      'units.yaml': (t) => t.replace('name: 宁国市', 'name: ""'),
      'indicators.yaml': (t) => t.replace('sourceDepartment: data_bureau', 'sourceDepartment: ningguo').replace('alert: 76', 'alert: high'),
    });
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(err.problems.map((p) => `${path.basename(p.file)} ${p.path}`)).toEqual([
      'units.yaml units[4].name',
      'indicators.yaml indicators[1].alert',
    ]);
    dir.remove();

    const cross = configWith({ 'indicators.yaml': (t) => t.replace('sourceDepartment: data_bureau', 'sourceDepartment: ningguo') });
    expect(errorOf(() => loadConfig(cross.file('duban.yaml'))).message).toContain(
      '(indicators[0].sourceDepartment): “ningguo”不是 units.yaml 中的部门',
    );
    cross.remove();
  });

  it('reads the message templates and names a broken or missing one', () => {
    expect(loadConfig().templates.letter.html).toContain('{{letterNo}}');
    const dir = configWith({ 'duban.yaml': (t) => t.replace(/templates: \S+/, 'templates: templates') });
    mkdirSync(dir.file('templates'));
    for (const f of readdirSync(path.join(shipped, 'templates'))) copyFileSync(path.join(shipped, 'templates', f), dir.file(`templates/${f}`));
    writeFileSync(dir.file('templates/letter.html.mustache'), '<p>{{#newProblems}}{{id}}</p>');
    rmSync(dir.file('templates/summary.subject.mustache'));
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(err.problems).toEqual([
      { file: dir.file('templates/letter.html.mustache'), path: '', message: expect.stringContaining('模板语法错误：Unclosed section "newProblems"') },
      { file: dir.file('templates/summary.subject.mustache'), path: '', message: '无法读取模板文件：ENOENT' },
    ]);
    dir.remove();
  });

  it('checks the rules against the catalogue', () => {
    const dir = configWith({ 'rules.yaml': (t) => t.replace('indicators: [on_time_completion_rate]', 'indicators: [on_time_rate]') });
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(err.message).toMatch(/rules\.yaml:\d+ \(rules\[2\]\.indicators\[0\]\): 指标“on_time_rate”不在指标目录中/);
    dir.remove();
    expect(loadConfig().rules.map((r) => r.kind)).toEqual(expect.arrayContaining(['threshold', 'change', 'baseline', 'missing', 'rank']));
  });

  it('refuses an invalid cron expression, an unknown key and a duplicate code', () => {
    let dir = configWith({ 'duban.yaml': (t) => t.replace('"0 8 * * *"', '"every morning"') });
    expect(errorOf(() => loadConfig(dir.file('duban.yaml'))).message).toContain('(ingest.schedule): 不是有效的 cron 表达式');
    dir.remove();
    dir = configWith({ 'duban.yaml': (t) => t.replace('sweep: "*/10 * * * *"', 'sweep: "often"') });
    expect(errorOf(() => loadConfig(dir.file('duban.yaml'))).message).toContain('(queue.sweep): 不是有效的 cron 表达式：often');
    dir.remove();

    dir = configWith({ 'duban.yaml': (t) => t.replace('timezone: Asia/Shanghai', 'timezone: Asia/Shanghai\ntimzone: UTC') });
    expect(errorOf(() => loadConfig(dir.file('duban.yaml'))).message).toContain('timzone');
    dir.remove();

    dir = configWith({ 'units.yaml': (t) => t.replace('code: langxi', 'code: xuanzhou') });
    expect(errorOf(() => loadConfig(dir.file('duban.yaml'))).message).toMatch(/units\.yaml.*units\[2\]\.code.*“xuanzhou”与 units\[1\] 重复/);
    dir.remove();
  });

  it('refuses a problem category that has no deadline', () => {
    const dir = configWith({ 'duban.yaml': (t) => t.replace('e_license_usage_rate: cross_department', 'e_license_usage_rate: urgent') });
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(err.problems).toEqual([expect.objectContaining({ file: dir.file('duban.yaml'), path: 'problems', message: '问题分类必须是 deadlines 中列出的类别' })]);
    dir.remove();
  });

  it('says which file it could not read and where YAML is broken', () => {
    const dir = configWith({ 'indicators.yaml': (t) => `${t}\n  - code: [unclosed\n` });
    const err = errorOf(() => loadConfig(dir.file('duban.yaml')));
    expect(err.problems[0]!.file).toBe(dir.file('indicators.yaml'));
    expect(err.problems[0]!.message).toContain('YAML 语法错误');
    expect(err.problems[0]!.line).toBeGreaterThan(100);
    dir.remove();

    expect(errorOf(() => loadConfig('/nonexistent/duban.yaml')).message).toContain('/nonexistent/duban.yaml');
  });
});
