/** Heatmap helpers: colour levels, the calendar's week columns. Pure: tested by Vitest. */

/** Level 0–4 of each value: 0 for zero, else which quartile of the non-zero values it falls in
 * (nearest rank, as the API's calendar levels). */
export function levelsOf(values: readonly number[]): number[] {
  const nonZero = values.filter((v) => v > 0).sort((a, b) => a - b);
  if (!nonZero.length) return values.map(() => 0);
  const q = (p: number): number => nonZero[Math.max(0, Math.ceil(p * nonZero.length) - 1)] ?? 0;
  const [l1, l2, l3] = [q(0.25), q(0.5), q(0.75)];
  return values.map((v) => (v <= 0 ? 0 : v <= l1 ? 1 : v <= l2 ? 2 : v <= l3 ? 3 : 4));
}

/** 0 = Monday … 6 = Sunday of a YYYY-MM-DD day. */
export function weekday(day: string): number {
  return (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
}

export interface CalendarDay {
  date: string;
  value: number;
  level: number;
}

/** Days laid out in week columns (Monday first); days before the first one are null. */
export function weekColumns<T extends { date: string }>(days: readonly T[]): (T | null)[][] {
  const columns: (T | null)[][] = [];
  let column: (T | null)[] = [];
  const first = days[0];
  if (first) column = Array.from({ length: weekday(first.date) }, () => null);
  for (const d of days) {
    column.push(d);
    if (column.length === 7) {
      columns.push(column);
      column = [];
    }
  }
  if (column.length) columns.push(column);
  return columns;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A month label over the column where that month's first day falls. */
export function monthLabels<T extends { date: string }>(columns: readonly (T | null)[][]): (string | null)[] {
  return columns.map((col, i) => {
    const firstOfMonth = col.find((d) => d && d.date.endsWith("-01"));
    if (firstOfMonth) return MONTHS[Number(firstOfMonth.date.slice(5, 7)) - 1] ?? null;
    if (i === 0) {
      const d = col.find((x) => x);
      return d ? (MONTHS[Number(d.date.slice(5, 7)) - 1] ?? null) : null;
    }
    return null;
  });
}
