import { Day, parseDay } from './day';
import { LEDGER_STATUS_LABELS, LedgerStatus } from './ledger-status';
import { indicatorCode, ledgerStatusName, unitCode, UsageError } from './names';

/** Which problems a 台账 export holds: all of them unless narrowed. */
export interface LedgerFilter {
  /** A unit's code: problems of that unit or owned by it (责任单位). */
  unit?: string;
  /** An indicator's code: the series' indicator, or one a missing-data problem lists. */
  indicator?: string;
  status?: LedgerStatus;
  /** 发现日期 on or after / on or before. */
  from?: Day;
  to?: Day;
}

/** The filter as a person typed it, on the command line or in a query string. */
export interface TypedLedgerFilter {
  unit?: string | undefined;
  indicator?: string | undefined;
  state?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

interface Catalogue {
  units: ReadonlyArray<{ code: string; name: string; aliases: readonly string[] }>;
  indicators: ReadonlyArray<{ code: string; name: string; headerAliases: readonly string[] }>;
}

/**
 * The filter read as the CLI and the API read names (code, name or alias; a wrong one refused with the nearest), days
 * checked as days; and the filter said in Chinese for the export's as-of line, since a narrowed 台账 must say so.
 */
export function readLedgerFilter(catalogue: Catalogue, typed: TypedLedgerFilter): { filter: LedgerFilter; text: string } {
  const filter: LedgerFilter = {};
  const said: string[] = [];
  if (typed.unit !== undefined) {
    filter.unit = unitCode(catalogue, typed.unit);
    said.push(`单位 ${catalogue.units.find((u) => u.code === filter.unit)!.name}`);
  }
  if (typed.indicator !== undefined) {
    filter.indicator = indicatorCode(catalogue, typed.indicator);
    said.push(`指标 ${catalogue.indicators.find((i) => i.code === filter.indicator)!.name}`);
  }
  if (typed.state !== undefined) {
    filter.status = ledgerStatusName(typed.state);
    said.push(`状态 ${LEDGER_STATUS_LABELS[filter.status]}`);
  }
  if (typed.from !== undefined) filter.from = parseDay(typed.from);
  if (typed.to !== undefined) filter.to = parseDay(typed.to);
  if (filter.from && filter.to && filter.from > filter.to) throw new UsageError(`发现日期的起始日 ${filter.from} 晚于截止日 ${filter.to}`);
  if (filter.from || filter.to) said.push(`发现日期 ${filter.from ?? '最早'} 至 ${filter.to ?? '最近'}`);
  return { filter, text: said.join('，') };
}
