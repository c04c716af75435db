/**
 * RFC 4180 CSV (pure): CRLF line ends, a header row, fields quoted when they hold a comma, a quote
 * or a line break, quotes doubled. Numbers are written as they are (no thousands separators, no
 * rounding, a dot for decimals); missing values are empty fields.
 *
 * Text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
 * carriage return: a customer or product name from a source system, say) is written with a leading
 * `'` and quoted, so it shows as text; numbers, and text that is just a number, are written as is.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string" && FORMULA_START.test(value) && !PLAIN_NUMBER.test(value)) {
    return `"'${value.replaceAll('"', '""')}"`;
  }
  const text = typeof value === "string" ? value : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

/** Lines of a column-major table, `chunk` rows at a time (for streaming). */
export function* csvChunks(names: string[], data: unknown[][], chunk = 500): Generator<string> {
  yield csvLine(names);
  const rows = data[0]?.length ?? 0;
  for (let start = 0; start < rows; start += chunk) {
    let text = "";
    for (let i = start; i < Math.min(rows, start + chunk); i++)
      text += csvLine(data.map((column) => column[i]));
    yield text;
  }
}
