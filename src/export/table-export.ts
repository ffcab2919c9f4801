import { writeFile } from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { isDay } from '../domain/day';
import { neutraliseCell } from '../domain/spreadsheet-cell';

export type ExportFormat = 'csv' | 'xlsx' | 'json';
export type Cell = string | number | null;

/** How a spreadsheet lays a column out. */
export interface ColumnLayout {
  /** In characters (a Chinese character is about two). */
  width?: number;
  /** Long text: wrapped within the column rather than running over its neighbours. */
  wrap?: boolean;
  /** Holds days (YYYY-MM-DD): a cell that is one day is stored as a date; a list of days stays text. */
  date?: boolean;
}

export interface ExportTable {
  /** The sheet's name in XLSX. */
  title: string;
  headers: string[];
  rows: Cell[][];
  /**
   * Lines above the header row in XLSX (a title, an as-of line). CSV and JSON leave them out: they are read by
   * programs, which want one header row (or keys) and the data.
   */
  heading?: readonly string[];
  /** Per column, in order; without it widths follow the content and nothing wraps. */
  columns?: readonly ColumnLayout[];
}

/**
 * Writes a table for auditors. CSV is UTF-8 with a BOM (so Excel shows Chinese), a header row and the data, with
 * formula-like text neutralised; XLSX stores every text as a text cell (never a formula) and days as dates, under its
 * heading lines, with the header row frozen, filtered and printed on every page (A4 landscape, one page wide); JSON is
 * an array of objects keyed by the headers.
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
  return renderWorkbook(table);
}

const THIN = { style: 'thin', color: { argb: 'FF999999' } } as const;
const BORDER: Partial<ExcelJS.Borders> = { top: THIN, left: THIN, bottom: THIN, right: THIN };

async function renderWorkbook(table: ExportTable): Promise<Buffer> {
  const width = table.headers.length;
  const heading = table.heading ?? [];
  const headerRow = heading.length + 1;
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'duban';
  const sheet = workbook.addWorksheet(table.title, {
    views: [{ state: 'frozen', ySplit: headerRow }],
    // Printed, a wide table is read across: landscape, scaled to one page wide, as many pages down as it takes, the
    // header row on each.
    pageSetup: {
      paperSize: 9,
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      printTitlesRow: `${headerRow}:${headerRow}`,
      horizontalCentered: true,
      margins: { left: 0.4, right: 0.4, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 },
    },
    headerFooter: { oddFooter: '&C第 &P 页，共 &N 页' },
  });

  heading.forEach((text, k) => {
    const row = sheet.addRow([text]);
    sheet.mergeCells(k + 1, 1, k + 1, width);
    row.font = k === 0 ? { bold: true, size: 16 } : { size: 10 };
    row.alignment = { horizontal: k === 0 ? 'center' : 'left', vertical: 'middle' };
    row.height = k === 0 ? 28 : 18;
  });

  const header = sheet.addRow(table.headers);
  header.font = { bold: true };
  header.eachCell((cell) => {
    cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8E8E8' } };
    cell.border = BORDER;
  });
  sheet.autoFilter = { from: { row: headerRow, column: 1 }, to: { row: headerRow, column: width } };

  const layout = table.columns;
  for (const r of table.rows) {
    const row = sheet.addRow(r.map((c, i) => (layout?.[i]?.date && typeof c === 'string' && isDay(c) ? dateOf(c) : (c ?? ''))));
    // Styled cell by cell only where the table was laid out for reading and printing: a large export of events stays lean.
    if (!layout) continue;
    for (let i = 1; i <= width; i++) {
      const cell = row.getCell(i);
      cell.border = BORDER;
      cell.alignment = { vertical: 'top', wrapText: layout[i - 1]?.wrap ?? false };
      if (cell.value instanceof Date) cell.numFmt = 'yyyy-mm-dd';
    }
  }

  sheet.columns.forEach((col, i) => {
    const texts = [table.headers[i] ?? '', ...table.rows.map((r) => String(r[i] ?? ''))];
    // Reduced, not spread: a spread of a large export's cells would overflow the stack.
    const widest = texts.reduce((w, t) => Math.max(w, ...t.split('\n').map((line) => [...line].length * 2)), 8);
    col.width = layout?.[i]?.width ?? Math.min(60, widest);
  });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** A day as the date a spreadsheet shows: midnight UTC, which is how exceljs turns a Date into Excel's day number. */
function dateOf(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}
