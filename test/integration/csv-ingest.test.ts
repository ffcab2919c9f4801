import { appendFileSync, writeFileSync } from 'node:fs';
import { ingestFixture, IngestFixture } from '../helpers/ingest-fixture';
import type { IndicatorConfig } from '../../src/config/schema';
import { syncCatalogue } from '../../src/services/catalogue-sync.service';

const DAY = '2026-11-26';
let f: IngestFixture;

beforeAll(async () => {
  f = await ingestFixture('csv');
});
afterAll(() => f.close());

async function ingest(path: string, overrides = {}) {
  const [result] = await f.service.ingestDay(DAY, { trigger: 'test', sources: [f.csvSource(path, overrides)] });
  return result!;
}

describe('CSV ingest into the real database', () => {
  it('takes a long UTF-8 file with code headers and keeps percentages exact', async () => {
    const file = f.writeCsv('long.csv', [
      'unit,indicator,day,value',
      `ningguo,full_online_rate,${DAY},99.5%`,
      `ningguo,satisfaction_rate,${DAY},0.998`,
      `langxi,full_online_rate,${DAY},98.25`,
    ]);
    const r = await ingest(file);
    expect(r).toMatchObject({ status: 'succeeded', accepted: 3, revised: 0, unchanged: 0, rejected: 0 });
    expect(r.inputs[0]).toMatchObject({ encoding: 'utf-8', layout: 'long' });
    const obs = await f.observations(DAY);
    expect(obs['ningguo/full_online_rate']).toBe('99.5');
    expect(obs['ningguo/satisfaction_rate']).toBe('99.8');
    expect(obs['langxi/full_online_rate']).toBe('98.25');
  });

  it('takes a GBK wide file from Excel with Chinese headers, unit names and indicator names', async () => {
    const file = f.writeCsv(
      'wide-gbk.csv',
      ['单位名称,日期,全程网办率(%),好评率,备注', `宁国市,2026/11/26,99.1,99.9,正常`, `郎溪县,2026/11/26,97.0,100,`],
      'gbk',
    );
    const r = await ingest(file);
    expect(r.inputs[0]).toMatchObject({ encoding: 'gbk', layout: 'wide', ignoredColumns: [{ column: 5, header: '备注', reason: 'unknown_indicator', cells: 2 }] });
    // Three of the four values were ingested before with other values (99.5, 99.8, 98.25): each is a revision.
    expect(r).toMatchObject({ status: 'succeeded', accepted: 1, revised: 3, unchanged: 0, rejected: 0 });
    const obs = await f.observations(DAY);
    expect(obs['ningguo/full_online_rate']).toBe('99.1');
    expect(obs['langxi/satisfaction_rate']).toBe('100');
  });

  it('takes UTF-8 with a BOM and Chinese long headers', async () => {
    const file = f.writeCsv('bom.csv', ['单位,指标,日期,数值', `泾县,按时办结率,${DAY},100`, `绩溪县,12345 按时办结率,${DAY},99.2`], 'utf-8-bom');
    const r = await ingest(file);
    expect(r).toMatchObject({ status: 'succeeded', accepted: 2, rejected: 0 });
    expect(r.inputs[0]).toMatchObject({ encoding: 'utf-8', layout: 'long' });
    const obs = await f.observations(DAY);
    expect(obs['jingxian/on_time_completion_rate']).toBe('100');
    expect(obs['jixi/hotline_on_time_rate']).toBe('99.2');
  });

  it('takes UTF-16 with a BOM, as Excel saves "Unicode text"', async () => {
    const text = `\uFEFF单位\t指标\t数值\r\n旌德县\t零跑动事项占比\t93.5\r\n`;
    const file = f.dir.file('utf16.txt');
    writeFileSync(file, Buffer.from(text, 'utf16le'));
    const r = await ingest(file, { delimiter: '\t' });
    expect(r).toMatchObject({ status: 'succeeded', accepted: 1, rejected: 0 });
    expect(r.inputs[0]).toMatchObject({ encoding: 'utf-16le' });
    expect((await f.observations(DAY))['jingde/zero_visit_ratio']).toBe('93.5');
  });

  it('keeps the old value as a revision when a value changes, and a second identical ingest changes nothing', async () => {
    const v1 = f.writeCsv('rev1.csv', ['unit,indicator,day,value', `jingde,evaluation_rate,${DAY},98.7`]);
    const first = await ingest(v1);
    expect(first).toMatchObject({ accepted: 1, revised: 0, unchanged: 0 });
    const again = await ingest(v1);
    expect(again).toMatchObject({ accepted: 0, revised: 0, unchanged: 1, rejected: 0 });

    const v2 = f.writeCsv('rev2.csv', ['unit,indicator,day,value', `jingde,evaluation_rate,${DAY},99.40`]);
    const second = await ingest(v2);
    expect(second).toMatchObject({ accepted: 0, revised: 1, unchanged: 0 });
    // 99.4 and 99.40 are the same number: no revision.
    const same = await ingest(f.writeCsv('rev3.csv', ['unit,indicator,day,value', `jingde,evaluation_rate,${DAY},99.4`]));
    expect(same).toMatchObject({ accepted: 0, revised: 0, unchanged: 1 });

    const revisions = await f.db.db
      .selectFrom('observation_revisions as r')
      .innerJoin('observations as o', (j) =>
        j.onRef('o.day', '=', 'r.day').onRef('o.indicator_id', '=', 'r.indicator_id').onRef('o.unit_id', '=', 'r.unit_id'),
      )
      .innerJoin('units as u', 'u.id', 'o.unit_id')
      .select(['r.old_value', 'r.new_value', 'r.run_id', 'o.first_run_id', 'o.run_id as current_run'])
      .where('u.code', '=', 'jingde')
      .execute();
    expect(revisions).toEqual([
      { old_value: '98.7', new_value: '99.4', run_id: second.runId, first_run_id: first.runId, current_run: second.runId },
    ]);
  });

  it('stores every rejected row with its line, raw text, reason code and Chinese message, and still ingests the good rows', async () => {
    const file = f.writeCsv('bad.csv', [
      'unit,indicator,day,value',
      `xuanzhou,full_online_rate,${DAY},99.9`, // 2: good
      `火星市,full_online_rate,${DAY},99`, // 3
      `xuanzhou,happiness_index,${DAY},99`, // 4
      `xuanzhou,instant_item_ratio,${DAY},`, // 5
      `xuanzhou,zero_visit_ratio,${DAY},很高`, // 6
      `xuanzhou,time_compression_ratio,${DAY},NaN`, // 7
      `xuanzhou,online_application_share,${DAY},101`, // 8
      `xuanzhou,evaluation_rate,2026-11-28,99`, // 9
      `xuanzhou,satisfaction_rate,2026-11-25,99`, // 10
      `xuanzhou,hotline_on_time_rate,2026-02-30,99`, // 11
      `xuanzhou,e_license_usage_rate`, // 12
      `xuanzhou,bad_review_rectification_rate,${DAY},100`, // 13: conflicts with 14
      `xuanzhou,bad_review_rectification_rate,${DAY},95`, // 14
      `xuanzhou,on_time_completion_rate,${DAY},100`, // 15: identical duplicate of 16, accepted once
      `xuanzhou,on_time_completion_rate,${DAY},100.0`, // 16
      `xuanzhou,time_compression_ratio,${DAY},Infinity`, // 17
    ]);
    const r = await ingest(file);
    expect(r).toMatchObject({ status: 'succeeded', accepted: 2, rejected: 13 });
    const rejects = await f.rejects(r.runId);
    expect(rejects.map((x) => [x.line_no, x.reason])).toEqual([
      [3, 'unknown_unit'],
      [4, 'unknown_indicator'],
      [5, 'empty_value'],
      [6, 'not_numeric'],
      [7, 'not_finite'],
      [8, 'percent_out_of_range'],
      [9, 'future_day'],
      [10, 'wrong_day'],
      [11, 'bad_day'],
      [12, 'cell_count'],
      [13, 'conflicting_duplicate'],
      [14, 'conflicting_duplicate'],
      [17, 'not_finite'],
    ]);
    expect(rejects.every((x) => x.input === file)).toBe(true);
    expect(rejects[0]).toMatchObject({ raw: `火星市,full_online_rate,${DAY},99`, message: '单位“火星市”不在单位目录中' });
    expect(rejects[10]!.message).toBe('宣州区 差评按期整改率 在同一批次中有不同数值：100（第 13 行）、95（第 14 行），均未采用');
    const obs = await f.observations(DAY);
    expect(obs['xuanzhou/full_online_rate']).toBe('99.9');
    expect(obs['xuanzhou/on_time_completion_rate']).toBe('100');
    expect(obs['xuanzhou/bad_review_rectification_rate']).toBeUndefined();
  });

  it('rejects a negative count for a count indicator', async () => {
    const overdue: IndicatorConfig = { code: 'overdue_cases', name: '超期件数', unit: '件', kind: 'count', direction: 'lower', formula: '', alert: null, benchmark: null, weight: 0, source: '', headerAliases: [], scope: 'all' };
    await syncCatalogue(f.db.db, { ...f.config, indicators: [...f.config.indicators, overdue] });
    const r = await ingest(f.writeCsv('count.csv', ['单位,指标,数值', '宣州区,超期件数,-1', '郎溪县,超期件数,3']));
    expect(r).toMatchObject({ accepted: 1, rejected: 1 });
    expect((await f.rejects(r.runId))[0]).toMatchObject({ reason: 'negative_count', line_no: 2 });
  });

  it.each([
    ['a file that does not exist', () => '/nonexistent/data.csv', '文件或目录不存在'],
    ['a file that is not valid UTF-8 although declared so', () => f.writeCsv('bad-utf8.csv', ['单位,指标,数值', '宁国市,好评率,99'], 'gbk'), '不是有效的 UTF-8 编码'],
    ['a file without a recognisable header', () => f.writeCsv('noheader.csv', ['名称,数量', '宁国市,99']), '无法识别表头'],
    ['an empty file', () => f.writeCsv('empty.csv', []), '文件为空'],
    ['a workbook saved as .csv', () => f.writeCsv('book.csv', ['PK\u0003\u0004 workbook']), '不是 CSV 文件：这是 Excel 工作簿'],
  ])('fails the run and writes nothing for %s', async (_what, makePath, message) => {
    const path = makePath();
    const before = await f.db.db.selectFrom('observations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const r = await ingest(path, path.includes('bad-utf8') ? { encoding: 'utf-8' } : {});
    expect(r.status).toBe('failed');
    expect(r.error).toContain(path);
    expect(r.error).toContain(message);
    const run = await f.db.db.selectFrom('ingest_runs').selectAll().where('id', '=', r.runId).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'failed', accepted: 0, rejected: 0 });
    expect(await f.rejects(r.runId)).toEqual([]);
    const after = await f.db.db.selectFrom('observations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('rolls back rows already read when a file breaks half-way', async () => {
    const lines = ['unit,indicator,day,value'];
    for (let i = 0; i < 5000; i++) lines.push(`guangde,full_online_rate,${DAY},99`);
    const file = f.writeCsv('late-break.csv', lines);
    // Bytes that are not UTF-8, far into a file taken as UTF-8: the input cannot be read as a whole.
    appendFileSync(file, Buffer.from([0x0a, 0xff, 0xfe, 0x0a]));
    const r = await ingest(file, { encoding: 'utf-8' });
    expect(r.status).toBe('failed');
    expect((await f.observations(DAY))['guangde/full_online_rate']).toBeUndefined();
  });

  it('rejects the row of a quote that never closes, and reads the rows after it', async () => {
    const r = await ingest(f.writeCsv('quote.csv', ['unit,indicator,value', 'ningguo,"full_online_rate,99', 'jingxian,zero_visit_ratio,91.25']));
    expect(r).toMatchObject({ status: 'succeeded', accepted: 1, rejected: 1, cellsSeen: 2 });
    expect(await f.rejects(r.runId)).toMatchObject([{ line_no: 2, reason: 'unclosed_quote', column_name: 'value' }]);
  });

  it('reads a drop folder: the files of the day by pattern, and says so when there are none', async () => {
    f.writeCsv('county-20261126-a.csv', ['unit,indicator,value', 'guangde,zero_visit_ratio,95']);
    f.writeCsv('county-20261126-b.csv', ['unit,indicator,value', 'guangde,instant_item_ratio,80']);
    f.writeCsv('county-20261125.csv', ['unit,indicator,value', 'guangde,evaluation_rate,1']);
    const r = await ingest(f.dir.path, { pattern: 'county-{yyyymmdd}*.csv' });
    expect(r).toMatchObject({ status: 'succeeded', accepted: 2, rejected: 0 });
    expect(r.inputs.map((i) => i.name.split('/').pop())).toEqual(['county-20261126-a.csv', 'county-20261126-b.csv']);

    const none = await f.service.ingestDay('2026-11-20', { trigger: 'test', sources: [f.csvSource(f.dir.path, { pattern: 'county-{yyyymmdd}*.csv' })] });
    expect(none[0]).toMatchObject({ status: 'failed' });
    expect(none[0]!.error).toContain('目录中没有 2026-11-20 的文件（匹配 county-20261120*.csv）');
  });
});
