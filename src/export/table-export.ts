import { writeFile } from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { neutraliseCell } from '../domain/spreadsheet-cell';

export type ExportFormat = 'csv' | 'xlsx' | 'json';
export type Cell = string | number | null;

export interface ExportTable {
  /** The sheet's name in XLSX. */
  title: string;
  headers: string[];
  rows: Cell[][];
}

/**
 * Writes a table for auditors. CSV is UTF-8 with a BOM (so Excel shows Chinese) and formula-like text neutralised;
 * XLSX stores every text as a text cell (never a formula) with the header row frozen; JSON is an array of objects
 * keyed by the headers.
 */
export async function writeTable(table: ExportTable, format: ExportFormat, file: string): Promise<void> {
  await writeFile(file, await renderTable(table, format));
}

/** The same table as the bytes of a file, for an HTTP download. */
export async function renderTable(table: ExportTable, format: ExportFormat): Promise<Buffer> {
  if (format === 'json') {
    const objects = table.rows.map((r) => Object.fromEntries(table.headers.map((h, i) => [h, r[i] ?? null])));
    return Buffer.from(`${JSON.stringify(objects, null, 2)}\n`, 'utf8');
  }
  if (format === 'csv') {
    const text = stringify([table.headers, ...table.rows.map((r) => r.map((c) => (typeof c === 'string' ? neutraliseCell(c) : c)))], {
      record_delimiter: '\r\n',
    });
    return Buffer.from(`\uFEFF${text}`, 'utf8');
  }
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'duban';
  const sheet = workbook.addWorksheet(table.title, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.addRow(table.headers).font = { bold: true };
  for (const r of table.rows) sheet.addRow(r.map((c) => c ?? ''));
  sheet.columns.forEach((col, i) => {
    const widest = Math.max(...[table.headers[i] ?? '', ...table.rows.map((r) => String(r[i] ?? ''))].map((t) => [...t].length * 2));
    col.width = Math.min(60, Math.max(8, widest));
  });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
