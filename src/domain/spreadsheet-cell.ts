/**
 * Text that a spreadsheet would run as a formula when the file is opened (=, +, -, @, and tab or carriage return
 * before them), made inert by a leading apostrophe: the OWASP advice for CSV injection. A department's reported
 * measures are free text and end up in files auditors open in Excel.
 */
export function neutraliseCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}
