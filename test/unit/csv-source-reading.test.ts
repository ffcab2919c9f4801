import { writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { Catalogue } from '../../src/ingest/catalogue';
import { CsvSource } from '../../src/ingest/csv-source';
import type { RawRecord } from '../../src/ingest/source';
import { tempDir } from '../helpers/temp-dir';

/**
 * CsvSource splits plain lines itself for speed and hands anything else to csv-parse. Whatever the file, it must
 * yield what csv-parse (with info and raw) reads: the same fields, line numbers and raw text.
 */
const dir = tempDir();
afterAll(() => dir.remove());

async function viaSource(text: string, name: string): Promise<Array<Pick<RawRecord, 'line' | 'raw' | 'unit' | 'indicator' | 'value'>>> {
  const file = dir.file(name);
  writeFileSync(file, text);
  const source = new CsvSource({ name: 't', path: file, pattern: '*', encoding: 'utf-8', format: 'long', delimiter: ',', percentScale: 'auto' });
  const out = [];
  for await (const r of source.read({ day: '2026-11-26', catalogue: new Catalogue([], []), inputs: [] })) {
    out.push({ line: r.line, raw: r.raw, unit: r.unit, indicator: r.indicator, value: r.value });
  }
  return out;
}

function viaCsvParse(text: string) {
  const rows = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true, raw: true }) as unknown as Array<{
    record: string[];
    info: { lines: number };
    raw: string;
  }>;
  return rows.slice(1).map(({ record, info, raw }) => ({
    line: info.lines,
    raw: raw.replace(/[\r\n]+$/, ''),
    unit: record[0] ?? '',
    indicator: record[1] ?? '',
    value: record[2] ?? '',
  }));
}

const header = 'unit,indicator,value';
const cases: Array<[string, string]> = [
  ['plain LF', `${header}\na,x,1\nb,y,2\n`],
  ['plain CRLF without a final line break', `${header}\r\na,x,1\r\nb,y,2`],
  ['empty lines between records', `${header}\n\na,x,1\n\n\nb,y,2\n`],
  ['quoted fields with commas and doubled quotes', `${header}\n"a","x,1","9""9"\nb,"y",2\n`],
  ['a quoted line break in the middle', `${header}\na,x,1\n"b","multi\nline",2\nc,z,3\n`],
  ['a BOM and CRLF with a quoted CRLF', `\uFEFF${header}\r\na,"q\r\nq",1\r\nb,y,2\r\n`],
  ['short rows', `${header}\na,x\nb\nc,z,3\n`],
  ['Chinese text', `${header}\n宁国市,全程网办率,99.5%\n郎溪县,"好评率",１００\n`],
];

describe('CsvSource reads as csv-parse does', () => {
  it.each(cases)('%s', async (name, text) => {
    expect(await viaSource(text, `${name.replace(/\W+/g, '-')}.csv`)).toEqual(viaCsvParse(text));
  });

  it('across chunk boundaries of a large file', async () => {
    const lines = [header];
    for (let i = 0; i < 25_000; i++) lines.push(i % 7919 === 0 ? `"u${i}","ind,${i}",${i}` : `u${i},ind${i},${i}.5`);
    const text = `${lines.join('\r\n')}\r\n`;
    const got = await viaSource(text, 'large.csv');
    expect(got).toHaveLength(25_000);
    expect(got).toEqual(viaCsvParse(text));
  });
});
