import { writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { Catalogue } from '../../src/ingest/catalogue';
import { CsvRow, CsvRowReader } from '../../src/ingest/csv-rows';
import { CsvSource } from '../../src/ingest/csv-source';
import type { RawRecord } from '../../src/ingest/source';
import { tempDir } from '../helpers/temp-dir';

/**
 * The CSV reader splits rows itself (mixed line breaks, stray quotes and overlong lines are per-row matters, which
 * csv-parse would make the whole file's). On well-formed files it must read the same fields as csv-parse, whatever
 * the chunks the file arrives in; a row's line is where it starts.
 */
const dir = tempDir();
afterAll(() => dir.remove());

async function viaSource(text: string, name: string): Promise<Array<Pick<RawRecord, 'line' | 'raw' | 'unit' | 'indicator' | 'value'> & { fault?: string }>> {
  const file = dir.file(name);
  writeFileSync(file, text);
  const source = new CsvSource({ name: 't', path: file, pattern: '*', encoding: 'utf-8', layout: 'long', delimiter: ',', percentScale: 'auto' });
  const out = [];
  for await (const r of source.read({ day: '2026-11-26', catalogue: new Catalogue([], []), inputs: [] })) {
    out.push({ line: r.line, raw: r.raw, unit: r.unit, indicator: r.indicator, value: r.value, ...(r.fault ? { fault: r.fault.reason } : {}) });
  }
  return out;
}

/** csv-parse's records, less the rows of blank cells only (Excel's empty rows), which the reader skips. */
function fieldsByCsvParse(text: string): string[][] {
  return (parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][]).filter((r) => r.some((f) => f.trim() !== ''));
}

function rowsOf(chunks: string[], maxLineLength = 65_536): CsvRow[] {
  const reader = new CsvRowReader(',', maxLineLength);
  const out: CsvRow[] = [];
  for (const c of chunks) reader.push(c, out);
  reader.end(out);
  return out;
}

const header = 'unit,indicator,value';
const wellFormed: Array<[string, string]> = [
  ['plain LF', `${header}\na,x,1\nb,y,2\n`],
  ['plain CRLF without a final line break', `${header}\r\na,x,1\r\nb,y,2`],
  ['empty lines between records', `${header}\n\na,x,1\n\n\nb,y,2\n`],
  ['quoted fields with commas and doubled quotes', `${header}\n"a","x,1","9""9"\nb,"y",2\n`],
  ['a quoted line break in the middle', `${header}\na,x,1\n"b","multi\nline",2\nc,z,3\n`],
  ['a BOM and CRLF with a quoted CRLF', `\uFEFF${header}\r\na,"q\r\nq",1\r\nb,y,2\r\n`],
  ['Chinese text', `${header}\n宁国市,全程网办率,99.5%\n郎溪县,"好评率",１００\n`],
  ['lone CR line breaks (old Mac)', `${header}\ra,x,1\rb,y,2\r`],
];

describe('the CSV reader', () => {
  it.each(wellFormed)('reads %s as csv-parse does', (_name, text) => {
    const rows = rowsOf([text]);
    expect(rows.every((r) => r.kind === 'record')).toBe(true);
    expect(rows.map((r) => (r.kind === 'record' ? r.fields : []))).toEqual(fieldsByCsvParse(text));
  });

  it('gives each row the line it starts on, and its text without the line break', async () => {
    expect(await viaSource(`${header}\n\na,x,1\n"b","multi\nline",2\nc,z,3\r\n`, 'lines.csv')).toEqual([
      { line: 3, raw: 'a,x,1', unit: 'a', indicator: 'x', value: '1' },
      { line: 4, raw: '"b","multi\nline",2', unit: 'b', indicator: 'multi\nline', value: '2' },
      { line: 6, raw: 'c,z,3', unit: 'c', indicator: 'z', value: '3' },
    ]);
  });

  it('reads a CRLF header followed by LF rows (and any other mix) row by row', () => {
    const rows = rowsOf(['单位,全程网办率,按时办结率\r\n宁国市,99,98\n郎溪县,97,96\r旌德县,95,94\r\n']);
    expect(rows.map((r) => (r.kind === 'record' ? [r.line, ...r.fields] : r))).toEqual([
      [1, '单位', '全程网办率', '按时办结率'],
      [2, '宁国市', '99', '98'],
      [3, '郎溪县', '97', '96'],
      [4, '旌德县', '95', '94'],
    ]);
  });

  it('takes a stray quote as a fault of its own line and reads the lines after it again', () => {
    const rows = rowsOf(['u,i,v\n"a,x,1\nb,y,2\nc,z,3\n']);
    expect(rows.map((r) => (r.kind === 'record' ? r.fields.join('|') : `${r.fault}@${r.line}`))).toEqual(['u|i|v', 'unclosed_quote@2', 'b|y|2', 'c|z|3']);
  });

  it('skips a line over the limit without holding it, and goes on after it', () => {
    const long = 'x'.repeat(5000);
    const chunks = ['u,i,v\na,x,1\n', long.slice(0, 2500), long.slice(2500), '\nb,y,2\n'];
    const rows = rowsOf(chunks, 1024);
    expect(rows.map((r) => (r.kind === 'record' ? `${r.line}:${r.fields.join('|')}` : `${r.fault}@${r.line}:${r.raw.length}`))).toEqual([
      '1:u|i|v',
      '2:a|x|1',
      'line_too_long@3:200',
      '4:b|y|2',
    ]);
  });

  it('reads the same rows however the text is cut into chunks (property)', () => {
    const field = fc.oneof(
      fc.stringMatching(/^[a-z0-9.宁国 %]{0,6}$/),
      fc.stringMatching(/^[a-z,"\r\n宁]{0,6}$/).map((s) => `"${s.replaceAll('"', '""')}"`),
    );
    const row = fc.array(field, { minLength: 1, maxLength: 4 }).map((f) => f.join(','));
    const breakOf = fc.constantFrom('\n', '\r\n', '\r');
    fc.assert(
      fc.property(fc.array(fc.tuple(row, breakOf), { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), (lines, cuts) => {
        const text = lines.map(([r, b]) => r + b).join('');
        const whole = rowsOf([text]);
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((p, k, all) => text.slice(p, all[k + 1] ?? text.length));
        expect(rowsOf(chunks)).toEqual(whole);
        // And, with one kind of line break (csv-parse takes the first it sees for the whole file), csv-parse's fields.
        if (new Set(lines.map(([, b]) => b)).size === 1) {
          expect(whole.map((r) => (r.kind === 'record' ? r.fields : []))).toEqual(fieldsByCsvParse(text));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('decides stray quotes and overlong lines the same way however the text is cut (property)', () => {
    const piece = fc.constantFrom('a', ',', '"', '""', '\n', '\r\n', '\r', '宁', 'xxxxxxxxxxxxxxxx');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 8 }), (pieces, cuts) => {
        const text = pieces.join('');
        // A small limit, so that the lines over it and the quotes left open past it are met often.
        const whole = rowsOf([text], 24);
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((p, k, all) => text.slice(p, all[k + 1] ?? text.length));
        expect(rowsOf(chunks, 24)).toEqual(whole);
      }),
      { numRuns: 1000 },
    );
  });

  it('across chunk boundaries of a large file', async () => {
    const lines = [header];
    for (let i = 0; i < 25_000; i++) lines.push(i % 7919 === 0 ? `"u${i}","ind,${i}",${i}` : `u${i},ind${i},${i}.5`);
    const text = `${lines.join('\r\n')}\r\n`;
    const got = await viaSource(text, 'large.csv');
    expect(got).toHaveLength(25_000);
    expect(got.map((r) => [r.unit, r.indicator, r.value])).toEqual(fieldsByCsvParse(text).slice(1));
    expect(got.map((r) => r.line)).toEqual(Array.from({ length: 25_000 }, (_, k) => k + 2));
  });
});
