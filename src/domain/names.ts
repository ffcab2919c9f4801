import { labelKey, nearestLabel } from './labels';
import { LEDGER_STATUS_ALIASES, LEDGER_STATUS_LABELS, LEDGER_STATUSES, LedgerStatus } from './ledger-status';
import { PROBLEM_STATES, ProblemState, STATE_LABELS } from './problem-state';

/**
 * A name a person got wrong on a command line or in an API request (an unknown unit, a bad number): said in Chinese,
 * with what would have been right — exit code 2, or HTTP 400 — never an empty result that reads as "nothing there".
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface Named {
  code: string;
  name: string;
  labels: string[];
}

/**
 * The one way a command reads a unit, an indicator or a state a person typed: by code, Chinese name or alias, compared
 * as ingest compares labels (full width, spaces and case ignored); a unique beginning of a name or code also names it
 * (`宁国` is 宁国市). Anything else is refused with the nearest names.
 */
function resolve(kind: string, typed: string, all: readonly Named[]): Named {
  const key = labelKey(typed);
  const exact = all.filter((n) => n.labels.some((l) => labelKey(l) === key));
  if (exact.length === 1) return exact[0]!;
  const starts = key === '' ? [] : all.filter((n) => n.labels.some((l) => labelKey(l).startsWith(key)));
  if (starts.length === 1) return starts[0]!;
  const shown = (n: Named) => `${n.name}（${n.code}）`;
  if (starts.length > 1) throw new UsageError(`“${typed}”可以指多个${kind}：${starts.slice(0, 8).map(shown).join('、')}，请写全名或代码`);
  const near = nearestNames(typed, all);
  throw new UsageError(`没有名为“${typed}”的${kind}。${near.length > 0 ? `您是不是要找：${near.map(shown).join('、')}` : `可用 ${kind === '单位' ? 'duban problems list' : '配置文件'} 查看已有的${kind}`}`);
}

/** Up to three entries whose labels are closest to what was typed. */
function nearestNames(typed: string, all: readonly Named[]): Named[] {
  const found: Named[] = [];
  let rest = [...all];
  for (let k = 0; k < 3; k++) {
    const label = nearestLabel(typed, rest.flatMap((n) => n.labels));
    const hit = label === undefined ? undefined : rest.find((n) => n.labels.includes(label));
    if (!hit) break;
    found.push(hit);
    rest = rest.filter((n) => n !== hit);
  }
  return found;
}

export function unitCode(config: { units: ReadonlyArray<{ code: string; name: string; aliases: readonly string[] }> }, typed: string): string {
  return resolve('单位', typed, config.units.map((u) => ({ code: u.code, name: u.name, labels: [u.code, u.name, ...u.aliases] }))).code;
}

export function indicatorCode(config: { indicators: ReadonlyArray<{ code: string; name: string; headerAliases: readonly string[] }> }, typed: string): string {
  return resolve('指标', typed, config.indicators.map((i) => ({ code: i.code, name: i.name, labels: [i.code, i.name, ...i.headerAliases] }))).code;
}

/** `--state 整改中` or `--state assigned`; an argument parser for commander. */
export function problemState(typed: string): ProblemState {
  return resolve('状态', typed, PROBLEM_STATES.map((s) => ({ code: s, name: STATE_LABELS[s], labels: [s, STATE_LABELS[s]] }))).code as ProblemState;
}

/** `--state 督办`, `--state 逾期`, `--state assigned`: a status of the 台账 (src/domain/ledger-status.ts). */
export function ledgerStatusName(typed: string): LedgerStatus {
  const all = LEDGER_STATUSES.map((s) => ({ code: s, name: LEDGER_STATUS_LABELS[s], labels: [s, LEDGER_STATUS_LABELS[s], ...(LEDGER_STATUS_ALIASES[s] ?? [])] }));
  return resolve('状态', typed, all).code as LedgerStatus;
}
