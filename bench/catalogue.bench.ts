/**
 * `npm run bench:catalogue`: what reading and syncing a catalogue of tens of thousands of units costs. For 1,000,
 * 10,000 and 50,000 units it writes a configuration into a temp folder (the shipped duban.yaml, indicators, rules,
 * calendar and templates, and a units.yaml of the shipped Xuancheng units followed by generated cities, each with its
 * departments and county-level units, each of those with its own departments: names, aliases, contacts, 主送机关,
 * 抄送, parents), then runs, each 3 times and each run in a process of its own so that its peak RSS is its own:
 *   - duban's loadConfig (read, validate and check every file: what every CLI command and the daemon's start pay),
 *     next to the raw limit, a plain `yaml.parse` of the same units.yaml, and the floor any reader pays, reading and
 *     decoding the file;
 *   - duban's catalogue sync into a fresh, migrated database (syncCatalogue), next to the raw limit, a COPY of the
 *     same rows into an equivalent table (code unique) in a fresh database; and a second sync, which finds nothing
 *     changed (every later daemon start).
 * It prints min / median / max of the time and the peak RSS, and the ratios of the medians.
 *
 * Environment: BENCH_SIZES (default 1000,10000,50000), BENCH_RUNS (default 3), BENCH_ADMIN_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres), BENCH_DB (default duban_bench_catalogue; dropped afterwards).
 *
 *   node dist/bench/catalogue.bench.js                          the bench
 *   node dist/bench/catalogue.bench.js child <mode> <dir> [url] one measured run (modes: load, read, parse, sync, copy)
 */
import { median, minMedianMax as spread } from './bench-stats';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../src/config/load-config';
import { createDatabase } from '../src/db/database';
import { migrateToLatest } from '../src/db/migrator';
import { syncCatalogue } from '../src/services/catalogue-sync.service';
import { ADMIN_URL, admin, benchDatabaseUrl, withClient } from './bench-admin';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,50000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DB_NAME = process.env.BENCH_DB ?? 'duban_bench_catalogue';
if (!/^[a-z_][a-z0-9_]*$/.test(DB_NAME)) throw new Error(`BENCH_DB must be a plain lower-case identifier, got ${DB_NAME}`);
const SHIPPED = path.dirname(DEFAULT_CONFIG_PATH);

/** What one measured run prints: the time of the measured step alone, and the process's peak RSS. */
interface ChildResult {
  ms: number;
  /** sync: a second sync of the same catalogue, which changes nothing (what every later daemon start pays). */
  againMs?: number;
  /** process.resourceUsage().maxRSS: kilobytes. */
  maxRssKb: number;
  units: number;
}

// ---------------------------------------------------------------------------------------------------------------
// The catalogue

/** Characters of place names, each with a pinyin for codes (several share one: codes are made unique by number). */
const PLACE = [
  ['安', 'an'], ['宁', 'ning'], ['平', 'ping'], ['和', 'he'], ['泰', 'tai'], ['清', 'qing'], ['河', 'he'], ['山', 'shan'],
  ['东', 'dong'], ['西', 'xi'], ['南', 'nan'], ['北', 'bei'], ['阳', 'yang'], ['江', 'jiang'], ['临', 'lin'], ['永', 'yong'],
  ['丰', 'feng'], ['兴', 'xing'], ['长', 'chang'], ['新', 'xin'], ['华', 'hua'], ['庆', 'qing'], ['德', 'de'], ['城', 'cheng'],
  ['溪', 'xi'], ['湖', 'hu'], ['桐', 'tong'], ['松', 'song'], ['石', 'shi'], ['金', 'jin'], ['玉', 'yu'], ['龙', 'long'],
  ['凤', 'feng'], ['川', 'chuan'], ['源', 'yuan'], ['昌', 'chang'], ['明', 'ming'], ['广', 'guang'], ['嘉', 'jia'], ['绩', 'ji'],
  ['旌', 'jing'], ['泾', 'jing'], ['郎', 'lang'], ['宣', 'xuan'], ['歙', 'she'], ['黟', 'yi'], ['休', 'xiu'], ['祁', 'qi'],
  ['舒', 'shu'], ['桂', 'gui'], ['岳', 'yue'], ['潜', 'qian'], ['望', 'wang'], ['宿', 'su'], ['怀', 'huai'], ['定', 'ding'],
  ['远', 'yuan'], ['凤', 'feng'], ['颍', 'ying'], ['霍', 'huo'], ['寿', 'shou'], ['蒙', 'meng'], ['涡', 'guo'], ['利', 'li'],
  ['灵', 'ling'], ['璧', 'bi'], ['萧', 'xiao'], ['砀', 'dang'], ['固', 'gu'], ['镇', 'zhen'], ['含', 'han'], ['巢', 'chao'],
  ['无', 'wu'], ['为', 'wei'], ['繁', 'fan'], ['芜', 'wu'], ['铜', 'tong'], ['池', 'chi'], ['贵', 'gui'], ['青', 'qing'],
] as const;

/** Departments a city or a county has: name, the short form data also uses, code suffix, the office that answers. */
const DEPARTMENTS = [
  ['数据资源局', '数据局', 'data', '政务服务科'], ['市场监督管理局', '市场监管局', 'market', '行政审批科'],
  ['人力资源和社会保障局', '人社局', 'hrss', '行政审批科'], ['医疗保障局', '医保局', 'healthcare', '待遇保障科'],
  ['住房公积金管理中心', '公积金中心', 'housing_fund', '归集管理科'], ['不动产登记中心', '不动产中心', 'real_estate', '登记科'],
  ['税务局', '税务', 'taxation', '纳税服务科'], ['公安局', '公安', 'police', '治安管理科'], ['民政局', '民政', 'civil', '社会事务科'],
  ['司法局', '司法', 'justice', '公共法律服务科'], ['财政局', '财政', 'finance', '办公室'], ['自然资源和规划局', '自然资源局', 'land', '审批科'],
  ['生态环境分局', '环保局', 'ecology', '环评科'], ['住房和城乡建设局', '住建局', 'housing', '审批科'], ['交通运输局', '交通局', 'transport', '运输科'],
  ['水利局', '水利', 'water', '水政科'], ['农业农村局', '农业局', 'agriculture', '审批科'], ['商务局', '商务', 'commerce', '外贸科'],
  ['文化旅游体育局', '文旅局', 'culture', '市场科'], ['卫生健康委员会', '卫健委', 'health', '医政科'], ['退役军人事务局', '退役军人局', 'veterans', '优抚科'],
  ['应急管理局', '应急局', 'emergency', '安监科'], ['审计局', '审计', 'audit', '办公室'], ['统计局', '统计', 'statistics', '综合科'],
  ['林业局', '林业', 'forestry', '资源科'], ['教育体育局', '教体局', 'education', '审批科'], ['科学技术局', '科技局', 'science', '成果科'],
  ['经济和信息化局', '经信局', 'industry', '运行科'], ['发展和改革委员会', '发改委', 'development', '审批科'], ['城市管理局', '城管局', 'urban', '执法科'],
  ['人民防空办公室', '人防办', 'civil_defence', '工程科'], ['气象局', '气象', 'weather', '服务科'], ['档案馆', '档案', 'archives', '利用科'],
  ['供电公司', '供电', 'power', '营销科'], ['自来水公司', '水务', 'waterworks', '客服中心'], ['燃气公司', '燃气', 'gas', '客服中心'],
  ['残疾人联合会', '残联', 'disabled', '康复科'], ['红十字会', '红会', 'red_cross', '办公室'], ['消防救援大队', '消防', 'fire', '防火科'],
] as const;

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚';

/**
 * The shipped units.yaml and, after it, generated cities until there are `count` units: each city with its
 * departments and ten county-level units, each county with its departments. Every label folds to its own key.
 */
export function unitsYaml(count: number): string {
  const shipped = readFileSync(path.join(SHIPPED, 'units.yaml'), 'utf8');
  let n = (shipped.match(/^ {2}- code:/gm) ?? []).length;
  const out: string[] = [shipped.trimEnd(), ''];
  const codes = new Set<string>(shipped.match(/(?<=^ {2}- code: )\S+/gm) ?? []);
  const uniqueCode = (base: string) => {
    let code = base;
    for (let k = 2; codes.has(code); k++) code = `${base}${k}`;
    codes.add(code);
    return code;
  };
  // Place names of two characters, in an order that mixes them; 宣城 and the shipped counties are skipped.
  const taken = new Set(['宣城', '宣州', '郎溪', '广德', '宁国', '泾县', '绩溪', '旌德']);
  let place = 0;
  const nextPlace = () => {
    for (;;) {
      const k = place++;
      const a = PLACE[(k * 7) % PLACE.length]!;
      const b = PLACE[(k + Math.floor(k / PLACE.length)) % PLACE.length]!;
      if (a[0] === b[0] || taken.has(a[0] + b[0])) continue;
      taken.add(a[0] + b[0]);
      return { name: a[0] + b[0], code: a[1] + b[1] };
    }
  };
  const person = (k: number) => SURNAMES[k % SURNAMES.length]! + GIVEN[(k * 7) % GIVEN.length]!;
  const phone = (k: number) => `05${String(50 + (k % 50))}-${String(2_000_000 + ((k * 7919) % 7_000_000))}`;
  const unit = (u: { code: string; name: string; kind: string; parent?: string; aliases: string[]; contact: string; addressee?: string; copyTo?: string }) => {
    n++;
    const k = n;
    out.push(`  - code: ${u.code}`, `    name: ${u.name}`, `    kind: ${u.kind}`);
    if (u.parent) out.push(`    parent: ${u.parent}`);
    if (u.aliases.length > 0) out.push(`    aliases: [${u.aliases.join(', ')}]`);
    out.push(
      '    contacts:',
      `      - { name: ${u.contact}, email: ${u.code}@example.gov.cn, phone: "${phone(k)}", role: 联络员 }`,
      `      - { name: ${person(k)}, phone: "${phone(k + 1)}", role: 分管负责人 }`,
    );
    if (u.addressee) out.push(`    addressee: ${u.addressee}`);
    if (u.copyTo) out.push(`    copyTo: [{ name: ${u.copyTo}, email: office.${u.code}@example.gov.cn }]`);
  };
  const departments = (parent: { code: string; name: string; short: string }) => {
    for (const [name, short, suffix, office] of DEPARTMENTS) {
      if (n >= count) return;
      const code = uniqueCode(`${parent.code}_${suffix}`);
      unit({
        code,
        name: `${parent.name}${name}`,
        kind: 'department',
        parent: parent.code,
        aliases: [`${parent.short}${short}`, `${parent.short}${name}`],
        contact: office,
      });
    }
  };
  while (n < count) {
    const city = nextPlace();
    const cityCode = uniqueCode(city.code);
    out.push('', `  # ${city.name}市`);
    unit({ code: cityCode, name: `${city.name}市`, kind: 'city', aliases: [`${city.name}`], contact: '市数据资源局督查科' });
    departments({ code: cityCode, name: `${city.name}市`, short: city.name });
    for (let c = 0; c < 10 && n < count; c++) {
      const county = nextPlace();
      const suffix = ['县', '区', '市'][c % 3]!;
      const code = uniqueCode(county.code);
      const name = `${county.name}${suffix}`;
      out.push('');
      if (n < count) {
        unit({
          code,
          name,
          kind: 'county',
          parent: cityCode,
          aliases: [`${city.name}${name}`],
          contact: `${name}数据资源局`,
          addressee: `${name}数据资源局`,
          copyTo: `${name}人民政府办公室`,
        });
      }
      departments({ code, name, short: county.name });
    }
  }
  return `${out.join('\n')}\n`;
}

/** A configuration folder: the shipped files, the calendar and templates by path, and `count` units. */
export function writeConfig(dir: string, count: number): string {
  const main = readFileSync(path.join(SHIPPED, 'duban.yaml'), 'utf8')
    .replace('calendar: calendar', `calendar: ${path.join(SHIPPED, 'calendar')}`)
    .replace('templates: templates', `templates: ${path.join(SHIPPED, 'templates')}`);
  writeFileSync(path.join(dir, 'duban.yaml'), main);
  for (const f of ['indicators.yaml', 'rules.yaml']) copyFileSync(path.join(SHIPPED, f), path.join(dir, f));
  writeFileSync(path.join(dir, 'units.yaml'), unitsYaml(count));
  return path.join(dir, 'duban.yaml');
}

// ---------------------------------------------------------------------------------------------------------------
// One measured run, in a process of its own

async function childMain(mode: string, dir: string, url: string | undefined): Promise<void> {
  const main = path.join(dir, 'duban.yaml');
  let ms: number;
  let againMs: number | undefined;
  let units: number;
  if (mode === 'load') {
    const t = process.hrtime.bigint();
    units = loadConfig(main).units.length;
    ms = elapsed(t);
  } else if (mode === 'read') {
    const t = process.hrtime.bigint();
    const text = readFileSync(path.join(dir, 'units.yaml'), 'utf8');
    units = (text.match(/^ {2}- code:/gm) ?? []).length;
    ms = elapsed(t);
  } else if (mode === 'parse') {
    const t = process.hrtime.bigint();
    units = (parseYaml(readFileSync(path.join(dir, 'units.yaml'), 'utf8')) as { units: unknown[] }).units.length;
    ms = elapsed(t);
  } else if (mode === 'sync' || mode === 'copy') {
    if (!url) throw new Error('sync and copy need a database URL');
    const config = loadConfig(main);
    units = config.units.length;
    const { db, pool, close } = createDatabase(url, { max: 2 });
    try {
      if (mode === 'sync') {
        const t = process.hrtime.bigint();
        const result = await syncCatalogue(db, config);
        ms = elapsed(t);
        if (result.unitsChanged.length !== units) throw new Error(`sync changed ${result.unitsChanged.length} units, expected ${units}`);
        const t2 = process.hrtime.bigint();
        const again = await syncCatalogue(db, config);
        againMs = elapsed(t2);
        if (again.unitsChanged.length !== 0) throw new Error(`a second sync changed ${again.unitsChanged.length} units`);
      } else {
        // The same rows as syncCatalogue stores, as COPY text into a table of the same columns keyed by code.
        const client = await pool.connect();
        try {
          const t = process.hrtime.bigint();
          const rows = config.units.map(
            (u) => `${[u.code, u.name, u.kind, u.parent ?? null, pgArray(u.aliases), JSON.stringify(u.contacts)].map(copyField).join('\t')}\n`,
          );
          // In pieces of 2,000 rows: a stream chunk per row costs more than the COPY.
          const pieces: string[] = [];
          for (let i = 0; i < rows.length; i += 2000) pieces.push(rows.slice(i, i + 2000).join(''));
          await pipeline(Readable.from(pieces), client.query(copyFrom('COPY raw_units (code, name, kind, parent_code, aliases, contacts) FROM STDIN')));
          ms = elapsed(t);
        } finally {
          client.release();
        }
      }
    } finally {
      await close();
    }
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  const out: ChildResult = { ms, ...(againMs === undefined ? {} : { againMs }), units, maxRssKb: process.resourceUsage().maxRSS };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function elapsed(t: bigint): number {
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function pgArray(xs: readonly string[]): string {
  return `{${xs.map((x) => `"${x.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

function copyField(v: string | null): string {
  return v === null ? '\\N' : v.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);
}

// ---------------------------------------------------------------------------------------------------------------
// The bench

async function main(): Promise<void> {
  const url = benchDatabaseUrl(DB_NAME);
  console.log(`catalogue benchmark: node ${process.version}, ${RUNS} runs each, each run a process of its own; min / median / max\n`);
  const summary: string[] = [];
  for (const size of SIZES) {
    const dir = mkdtempSync(path.join(tmpdir(), 'duban-catalogue-'));
    try {
      writeConfig(dir, size);
      const bytes = statSync(path.join(dir, 'units.yaml')).size;
      console.log(`${size.toLocaleString('en')} units (units.yaml ${(bytes / (1 << 20)).toFixed(1)} MB)`);
      const load: ChildResult[] = [];
      const read: ChildResult[] = [];
      const parse: ChildResult[] = [];
      const sync: ChildResult[] = [];
      const copy: ChildResult[] = [];
      // Alternating, so that the machine's drift falls on both sides alike.
      for (let k = 0; k < RUNS; k++) {
        load.push(await child('load', dir));
        read.push(await child('read', dir));
        parse.push(await child('parse', dir));
        await freshDatabase(url, true);
        sync.push(await child('sync', dir, url));
        await freshDatabase(url, false);
        copy.push(await child('copy', dir, url));
      }
      for (const r of [...load, ...read, ...parse, ...sync, ...copy]) if (r.units !== size) throw new Error(`a run read ${r.units} units, expected ${size}`);
      const row = (label: string, ms: number[], rss?: number[]) =>
        console.log(`  ${label.padEnd(46)} ${spread(ms.map((m) => m / 1000), 2)} s${rss ? `   peak RSS ${spread(rss.map((kb) => kb / 1024), 0)} MB` : ''}`);
      const ratio = (a: number[], b: number[]) => console.log(`  ${'ratio duban ÷ raw (medians)'.padEnd(46)} ${(median(a) / median(b)).toFixed(2)}`);
      row('duban loadConfig (all files, every check)', load.map((r) => r.ms), load.map((r) => r.maxRssKb));
      row('raw: yaml.parse(units.yaml)', parse.map((r) => r.ms), parse.map((r) => r.maxRssKb));
      ratio(load.map((r) => r.ms), parse.map((r) => r.ms));
      row('floor: read and decode units.yaml', read.map((r) => r.ms), read.map((r) => r.maxRssKb));
      console.log(`  ${'ratio duban ÷ floor (medians)'.padEnd(46)} ${(median(load.map((r) => r.ms)) / median(read.map((r) => r.ms))).toFixed(2)}`);
      row('duban syncCatalogue into a fresh database', sync.map((r) => r.ms), sync.map((r) => r.maxRssKb));
      row('raw: COPY of the same rows', copy.map((r) => r.ms), copy.map((r) => r.maxRssKb));
      ratio(sync.map((r) => r.ms), copy.map((r) => r.ms));
      row('duban syncCatalogue again, nothing changed', sync.map((r) => r.againMs!));
      console.log('  (the sync and COPY processes load the configuration first: their RSS includes it)\n');
      const cell = (ms: number[]) => `${spread(ms.map((m) => m / 1000), 2)} s`;
      summary.push(
        `| ${size.toLocaleString('en')} | ${cell(load.map((r) => r.ms))} | ${median(load.map((r) => r.maxRssKb / 1024)).toFixed(0)} MB | ${cell(parse.map((r) => r.ms))} | ${median(parse.map((r) => r.maxRssKb / 1024)).toFixed(0)} MB | ${cell(sync.map((r) => r.ms))} | ${cell(copy.map((r) => r.ms))} | ${cell(sync.map((r) => r.againMs!))} |`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  console.log('| units | loadConfig | its peak RSS | yaml.parse | its peak RSS | sync, fresh database | COPY | sync, unchanged |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const line of summary) console.log(line);
}

/** An empty database: migrated for duban's sync, or with one table of the units' columns for the raw COPY. */
async function freshDatabase(url: string, migrate: boolean): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB_NAME}`);
  if (migrate) {
    const { db, close } = createDatabase(url, { max: 1 });
    try {
      await migrateToLatest(db);
    } finally {
      await close();
    }
  } else {
    await withClient(url, (c) =>
      c.query(`CREATE TABLE raw_units (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text NOT NULL, kind text NOT NULL,
               parent_code text, aliases text[] NOT NULL, contacts jsonb NOT NULL, active boolean NOT NULL DEFAULT true,
               created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`),
    );
  }
  await withClient(ADMIN_URL, (c) => c.query('CHECKPOINT'));
}

function child(mode: string, dir: string, url?: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const args = [__filename, 'child', mode, dir, ...(url ? [url] : [])];
    const p = spawn(process.execPath, args, { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`child ${mode} exited with ${code}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as ChildResult);
    });
  });
}


if (require.main === module) {
  const [command, mode, dir, url] = process.argv.slice(2);
  const run = command === 'child' && mode && dir ? childMain(mode, dir, url) : main();
  run.catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
