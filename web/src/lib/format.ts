/** Small, pure formatting helpers (numbers, times, plurals). */

// One formatter each, made once: `toLocaleString(locale, options)` builds a new Intl formatter
// on every call (~0.1 ms each), which a list of 200 rows or a screen of messages pays per row.
// Made on first use, or by warmFormatters(): the first Intl object a page makes starts the
// browser's ICU (25-45 ms in Chromium, whatever the locale), and made when this module loaded
// (in the app's chunk) that sat on every first screen's path, between the code arriving and the
// page drawing.
let count: Intl.NumberFormat | null = null;
let dateTime: Intl.DateTimeFormat | null = null;
const COUNT = (): Intl.NumberFormat => (count ??= new Intl.NumberFormat("en-US"));
const DATE_TIME = (): Intl.DateTimeFormat =>
  (dateTime ??= new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }));

/** Makes the formatters now. The boot module calls it once the first screen's requests are on
 * their way: the ICU start-up then runs while the page waits for its data and code. */
export function warmFormatters(): void {
  COUNT().format(0);
  DATE_TIME().format(0);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${COUNT().format(n)} ${n === 1 ? one : many}`;
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

export function absoluteTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return "";
  return DATE_TIME().format(t);
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
