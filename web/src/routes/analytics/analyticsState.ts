/** The dashboard's state, read from the URL: range, time zone and filters (including a clicked
 * hour-of-week cell), and the API query built from it. Pure: tested by Vitest. */
import type { QueryFor } from "../../lib/api/client";

export const DEFAULT_DAYS = 30;
export const PRESETS = [7, 30, 90, 365] as const;
export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
export type Granularity = "day" | "week" | "month";

export interface AnalyticsState {
  from: string;
  to: string;
  /** true when the URL did not name a range (the default last 30 days is shown) */
  defaultRange: boolean;
  tz: string;
  project: string[];
  machine: string[];
  agent: string[];
  /** 0 = Monday … 6 = Sunday, of the session's local start; null: any */
  dow: number | null;
  /** 0–23, of the session's local start; null: any */
  hour: number | null;
  includeOneShot: boolean;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function isZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Today's date (YYYY-MM-DD) in a time zone. */
export function today(tz: string, now: Date = new Date()): string {
  // en-CA formats dates as YYYY-MM-DD
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/** A calendar day plus n days (n may be negative); pure date arithmetic, no time zone. */
export function addDays(day: string, n: number): string {
  const t = new Date(`${day}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

/** Days from `from` to `to`, both included. */
export function spanDays(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

const list = (q: URLSearchParams, key: string): string[] =>
  (q.get(key) ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

function int(q: URLSearchParams, key: string, max: number): number | null {
  const raw = q.get(key);
  if (raw === null || !/^\d{1,2}$/.test(raw)) return null;
  const n = Number(raw);
  return n <= max ? n : null;
}

export function readAnalytics(q: URLSearchParams, now: Date = new Date(), fallbackZone = browserZone()): AnalyticsState {
  const zone = q.get("tz") ?? "";
  const tz = zone && isZone(zone) ? zone : fallbackZone;
  let to = q.get("to") ?? "";
  let from = q.get("from") ?? "";
  const defaultRange = !DAY.test(from) && !DAY.test(to);
  if (!DAY.test(to)) to = today(tz, now);
  if (!DAY.test(from)) from = addDays(to, -(DEFAULT_DAYS - 1));
  if (from > to) [from, to] = [to, from];
  return {
    from,
    to,
    defaultRange,
    tz,
    project: list(q, "project"),
    machine: list(q, "machine"),
    agent: list(q, "agent"),
    dow: int(q, "dow", 6),
    hour: int(q, "hour", 23),
    includeOneShot: q.get("include_one_shot") === "1",
  };
}

type AnalyticsPath = "/api/v1/analytics/summary";

/** The common filter every /analytics/* route takes. */
export function apiQuery(s: AnalyticsState): QueryFor<AnalyticsPath> {
  return {
    from: s.from,
    to: s.to,
    timezone: s.tz,
    project: s.project,
    machine: s.machine,
    agent: s.agent,
    dow: s.dow,
    hour: s.hour,
    include_one_shot: s.includeOneShot || null,
  };
}

/** The timeline's default period: days up to a quarter, weeks up to two years, else months. */
export function autoGranularity(from: string, to: string): Granularity {
  const days = spanDays(from, to);
  return days <= 92 ? "day" : days <= 730 ? "week" : "month";
}

/** The URL changes that select a preset range (ending today in the zone). */
export function presetRange(days: number, tz: string, now: Date = new Date()): { from: string; to: string } {
  const to = today(tz, now);
  return { from: addDays(to, -(days - 1)), to };
}

/** "Mondays 14:00–15:00": the label of an hour-of-week filter. */
export function slotLabel(dow: number | null, hour: number | null): string {
  const day = dow === null ? "" : `${WEEKDAYS[dow]}s`;
  const h = hour === null ? "" : `${String(hour).padStart(2, "0")}:00–${String((hour + 1) % 24).padStart(2, "0")}:00`;
  return [day, h].filter(Boolean).join(" ");
}
