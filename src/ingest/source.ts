import type { Day } from '../domain/day';
import type { Catalogue } from './catalogue';

/** One value as a source gave it, before any checking. Everything is text so nothing is lost before validation. */
export interface RawRecord {
  /** Index into the run's inputs (file or URL), kept small because a run can carry millions of records. */
  input: number;
  /** Line in a file, or record number in a response; null where the source has no such notion. */
  line: number | null;
  raw: string;
  unit: string;
  indicator: string;
  /** The day as written, or null when the input carries no day (it is then the day being ingested). */
  day: string | null;
  value: string;
  /** The header of the value's column, where the input has one: a rejected cell is found by line and column. */
  column?: string;
  /** Set by the source when the row is broken in a way only it can see (wrong number of cells, a stray quote…). */
  fault?: { reason: RowFault; message: string };
}

/** Faults of a row's structure, each a reject reason (see reject-reasons.ts). */
export type RowFault = 'cell_count' | 'unclosed_quote' | 'line_too_long' | 'nul_byte';

export type PercentScale = 'auto' | 'percent' | 'fraction';

/** What a run read, for the run record: which files or URLs, in which encoding and layout, and what it left aside. */
export interface InputInfo {
  name: string;
  encoding?: string;
  layout?: 'long' | 'wide';
  /**
   * Cells the input held, counted by the source itself: every data row's value cells and ignored cells (a row whose
   * structure is broken counts the cells its header declares). Unset where the source has no such notion.
   */
  cells?: number;
  ignoredColumns?: IgnoredColumnInfo[];
}

/** A column not read, with why, and how many cells it held. */
export interface IgnoredColumnInfo {
  /** 1-based, as a person counts columns. */
  column: number;
  header: string;
  reason: string;
  message: string;
  suggestion?: string;
  cells: number;
}

export interface SourceReadContext {
  day: Day;
  catalogue: Catalogue;
  /** Filled by the source as it opens inputs; RawRecord.input indexes into it. */
  inputs: InputInfo[];
}

export interface IngestSource {
  readonly name: string;
  /** How a percentage without a % sign is to be read: as given, as a fraction, or decided by its size. */
  readonly percentScale: PercentScale;
  /** Streams the records for a day. Throws InputError when an input cannot be read at all. */
  read(ctx: SourceReadContext): AsyncIterable<RawRecord>;
}

/** An input that cannot be read at all: the run fails and writes nothing. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`${input}：${message}`);
    this.name = 'InputError';
  }
}
