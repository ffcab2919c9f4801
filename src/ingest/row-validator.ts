import { Day } from '../domain/day';
import { parseDayText } from '../domain/day-text';
import { compareDecimal, MAX_DIGITS, parseDecimal, shiftDecimal } from '../domain/decimal-value';
import type { Catalogue } from './catalogue';
import { RejectReason } from './reject-reasons';
import type { PercentScale, RawRecord } from './source';

export type Validated =
  | { ok: true; unitId: number; indicatorId: number; value: string }
  | { ok: false; reason: RejectReason; message: string };

export interface ValidationContext {
  catalogue: Catalogue;
  /** The day being ingested. */
  day: Day;
  /** Today in the bureau's time zone: nothing may be reported for a later day. */
  today: Day;
  percentScale: PercentScale;
}

/** Checks one record against the catalogue and the day; the message tells a civil servant what to fix. */
export function validateRecord(r: RawRecord, ctx: ValidationContext): Validated {
  if (r.fault !== undefined) return reject(r.fault.reason, r.fault.message);
  const unit = ctx.catalogue.unit(r.unit);
  if (!unit) return reject('unknown_unit', r.unit.trim() === '' ? '单位为空' : `单位“${r.unit}”不在单位目录中`);
  const indicator = ctx.catalogue.indicator(r.indicator);
  if (!indicator) return reject('unknown_indicator', r.indicator.trim() === '' ? '指标为空' : `指标“${r.indicator}”不在指标目录中`);

  if (r.day !== null) {
    const day = dayOf(r.day);
    if (!day) return reject('bad_day', `日期“${r.day}”无法识别，应为 YYYY-MM-DD`);
    if (day > ctx.today) return reject('future_day', `日期 ${day} 晚于今天（${ctx.today}）`);
    if (day !== ctx.day) return reject('wrong_day', `日期 ${day} 不是本次采集的日期 ${ctx.day}`);
  } else if (ctx.day > ctx.today) {
    // Without a date in the input the value is for the day being ingested, which must not be after today either.
    return reject('future_day', `采集日期 ${ctx.day} 晚于今天（${ctx.today}），数据不能属于未来的日子`);
  }

  const parsed = parseDecimal(r.value);
  if (!parsed.ok) {
    switch (parsed.problem) {
      case 'empty':
        return reject('empty_value', `${unit.name} ${indicator.name} 的数值为空`);
      case 'not_finite':
        return reject('not_finite', `${unit.name} ${indicator.name} 的数值“${shown(r.value)}”不是有限数`);
      case 'not_numeric':
        return reject('not_numeric', `${unit.name} ${indicator.name} 的数值“${shown(r.value)}”不是数字`);
      case 'too_many_digits':
        return reject('too_many_digits', `${unit.name} ${indicator.name} 的数值“${shown(r.value)}”位数过多（最多 ${MAX_DIGITS} 位有效数字，小数点后最多 ${MAX_DIGITS} 位）`);
    }
  }

  let value = parsed.value;
  if (indicator.kind === 'percent') {
    if (!parsed.hadPercentSign && isFraction(value, ctx.percentScale)) value = shiftDecimal(value, 2);
    // Compared on the digits: 100.00000000000000001 is over 100, though as a float it is 100.
    if (value.startsWith('-') || compareDecimal(value, '100') > 0) {
      return reject('percent_out_of_range', `${unit.name} ${indicator.name} 为 ${shown(r.value)}，百分比应在 0–100 之间`);
    }
  } else if (indicator.kind === 'count' && value.startsWith('-')) {
    return reject('negative_count', `${unit.name} ${indicator.name} 为 ${shown(r.value)}，件数不能为负`);
  }
  return { ok: true, unitId: unit.id, indicatorId: indicator.id, value };
}

/**
 * Without a % sign, 0.995 and 99.5 both mean 99.5 %: rates of government services sit near 100 %, so a value of
 * at most 1 is read as a fraction unless the source says otherwise (`percentScale`).
 */
function isFraction(value: string, scale: PercentScale): boolean {
  if (scale === 'fraction') return true;
  if (scale === 'percent') return false;
  return !value.startsWith('-') && compareDecimal(value, '1') <= 0;
}

// A day's file repeats one date on every row: the last text read is remembered (parseDayText is pure).
let lastDayText: string | undefined;
let lastDay: Day | undefined;

function dayOf(text: string): Day | undefined {
  if (text !== lastDayText) {
    lastDay = parseDayText(text);
    lastDayText = text;
  }
  return lastDay;
}

/** A value as a person can read it in a message: a runaway cell is cut. */
function shown(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…（共 ${text.length} 个字符）` : text;
}

function reject(reason: RejectReason, message: string): Validated {
  return { ok: false, reason, message };
}
