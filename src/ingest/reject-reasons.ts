/**
 * Stable reason codes for rejected rows. Codes are part of the interface (operators filter on them, reports count
 * them), so they are never renamed; the Chinese text is what people read.
 */
export const REJECT_REASONS = {
  /** Before cell_count: rows with fewer cells than the header. No longer given. */
  malformed_row: '行格式错误',
  cell_count: '该行的单元格数与表头不符',
  unclosed_quote: '引号未闭合',
  line_too_long: '该行超过长度上限',
  nul_byte: '含空字符（NUL）',
  too_many_digits: '数值位数过多',
  unknown_unit: '未知单位',
  unknown_indicator: '未知指标',
  empty_value: '数值为空',
  not_numeric: '数值不是数字',
  not_finite: '数值不是有限数（NaN、无穷或除零）',
  percent_out_of_range: '百分比超出 0–100',
  negative_count: '件数为负',
  bad_day: '日期无法识别',
  future_day: '日期在未来',
  wrong_day: '日期不是本次采集日',
  conflicting_duplicate: '同一批次中同一单位、指标、日期出现不同数值',
} as const;

export type RejectReason = keyof typeof REJECT_REASONS;
