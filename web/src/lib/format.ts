/** Small, pure formatting helpers (numbers, times, plurals). */

// No Intl here. The first Intl object a page makes starts the browser's ICU: 25-45 ms of main
// thread in Chromium, whatever the locale or kind (the next one costs 3-6 ms). Every first screen
// showed a count or a time, so that start-up sat in the chain from the code arriving to the page
// drawing; warmed in a task of its own while the data was on its way (session 6), it still held
// the main thread once the code arrived early (session 7's trace of a deep link: 46 ms, between
// the boot module and the app's evaluation). Counts are integers grouped as en-US groups them,
// and times a fixed, unambiguous local format: both by hand, with the same output everywhere.

/** An integer with its thousands grouped by commas (as `Intl.NumberFormat("en-US")` writes it:
 * "5,000"); anything else as `String` writes it. */
export function grouped(n: number): string {
  if (!Number.isSafeInteger(n)) return String(n);
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ",");
  return n < 0 ? `-${digits}` : digits;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${grouped(n)} ${n === 1 ? one : many}`;
}

export function compact(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  if (Math.abs(n) < 1000) return String(n);
  const units = ["k", "M", "B", "T"];
  let value = n;
  let unit = "";
  for (const u of units) {
    if (Math.abs(value) < 1000) break;
    value /= 1000;
    unit = u;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, "")}${unit}`;
}

export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 30) return `${days} d ago`;
  return new Date(then).toISOString().slice(0, 10);
}

const two = (n: number): string => String(n).padStart(2, "0");

/** A time as the reader's clock showed it: `2026-12-07 14:32` (ISO 8601's order, 24-hour, the
 * browser's time zone). The same in every locale, so a date never reads two ways (12/7 or 7/12),
 * and sortable as text. */
export function absoluteTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return "";
  return `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ${two(t.getHours())}:${two(t.getMinutes())}`;
}

/** The same to the second, with the time zone's offset from UTC (`2026-12-07 14:32:05 UTC+01:00`):
 * what a time's tooltip says. */
export function exactTime(iso: string | null | undefined): string {
  const shown = absoluteTime(iso);
  if (!shown || !iso) return "";
  const t = new Date(iso);
  const offset = -t.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  return `${shown}:${two(t.getSeconds())} UTC${sign}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
}

export function duration(startIso: string | null | undefined, endIso: string | null | undefined): string {
  if (!startIso || !endIso) return "";
  const ms = Date.parse(endIso) - Date.parse(startIso);
  if (!Number.isFinite(ms) || ms < 0) return "";
  const minutes = Math.round(ms / 60000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
