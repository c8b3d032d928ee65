/** CSV for every chart's numbers (RFC 4180), safe to open in a spreadsheet.
 *
 * Project, model and machine names come from session logs: hostile. A cell that starts with
 * = + - @ (or a tab / carriage return) is a formula to a spreadsheet, so such text cells get a
 * leading apostrophe (OWASP's CSV-injection advice); numbers are written as numbers.
 */

export type Cell = string | number | boolean | null | undefined;

/** A chart's numbers: its table view and its CSV. */
export interface Table {
  header: string[];
  rows: Cell[][];
}

const FORMULA = /^[=+\-@\t\r]/;

export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (typeof value === "boolean") return value ? "true" : "false";
  const text = FORMULA.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A header line and one line per row, CRLF-separated as RFC 4180 says. */
export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

/** The file name for a chart's CSV: `av-<chart>-<from>-<to>.csv`, safe on every OS. */
export function csvName(chart: string, from: string, to: string): string {
  const slug = chart
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  return `av-${slug}-${from}-${to}.csv`;
}
