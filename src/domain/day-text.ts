import { Day, isDay } from './day';

/** Dates as government exports write them: 2026-11-27, 2026/11/27, 2026/1/5, 20261127, 2026年11月27日, 2026.11.27. */
export function parseDayText(input: string): Day | undefined {
  const text = input.trim();
  if (isDay(text)) return text;
  let m = /^(\d{4})[/.年-](\d{1,2})[/.月-](\d{1,2})日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$/.exec(text);
  if (!m) m = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (!m) return undefined;
  const day = `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
  return isDay(day) ? day : undefined;
}
