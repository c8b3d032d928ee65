/** The session-list filters, read from and written to the URL's query (one source of truth). */
import type { QueryFor } from "../api/client";

export type GroupBy = "none" | "project" | "agent" | "machine";
export const GROUPS: readonly GroupBy[] = ["none", "project", "agent", "machine"];

/** "Recently active": the last activity within this span of now (agentsview's active_since). */
export type ActiveWithin = "" | "1h" | "24h" | "7d" | "30d";
export const ACTIVE_SPANS: Readonly<Record<Exclude<ActiveWithin, "">, number>> = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
};

/** Whether the session's log file is still on its machine (the server keeps sessions whose log
 * an agent cleaned up, marked gone_locally_at): "gone" only those, "present" only the others. */
export type LogPresence = "" | "gone" | "present";
export const LOG_PRESENCE: readonly LogPresence[] = ["", "gone", "present"];

export interface ListFilters {
  project: string[];
  machine: string[];
  agent: string[];
  date_from: string;
  date_to: string;
  min_messages: string;
  max_messages: string;
  min_user_messages: string;
  active: ActiveWithin;
  log: LogPresence;
  include_one_shot: boolean;
  group: GroupBy;
}

/** Query keys the list owns (the rest of the query belongs to the current page). */
export const FILTER_KEYS = [
  "project",
  "machine",
  "agent",
  "date_from",
  "date_to",
  "min_messages",
  "max_messages",
  "min_user_messages",
  "active",
  "log",
  "include_one_shot",
  "group",
] as const;

const list = (q: URLSearchParams, key: string): string[] =>
  (q.get(key) ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export function readFilters(q: URLSearchParams): ListFilters {
  const group = q.get("group") as GroupBy | null;
  const active = q.get("active") ?? "";
  const log = (q.get("log") ?? "") as LogPresence;
  return {
    project: list(q, "project"),
    machine: list(q, "machine"),
    agent: list(q, "agent"),
    date_from: q.get("date_from") ?? "",
    date_to: q.get("date_to") ?? "",
    min_messages: q.get("min_messages") ?? "",
    max_messages: q.get("max_messages") ?? "",
    min_user_messages: q.get("min_user_messages") ?? "",
    active: active in ACTIVE_SPANS ? (active as ActiveWithin) : "",
    log: LOG_PRESENCE.includes(log) ? log : "",
    include_one_shot: q.get("include_one_shot") === "1",
    group: group && GROUPS.includes(group) ? group : "none",
  };
}

/** The start of an "active within" span, to the minute (so the first screen's prefetch and the
 * list ask for the same URL), or null for any time. */
export function activeSince(active: ActiveWithin, now = Date.now()): string | null {
  if (!active) return null;
  const since = Math.floor((now - ACTIVE_SPANS[active]) / 60_000) * 60_000;
  return new Date(since).toISOString();
}

/** The API query for the list: children included, so the page can show them as a tree. */
export function apiQuery(f: ListFilters, now = Date.now()): QueryFor<"/api/v1/sessions"> {
  return {
    project: f.project,
    machine: f.machine,
    agent: f.agent,
    date_from: f.date_from,
    date_to: f.date_to,
    min_messages: f.min_messages,
    max_messages: f.max_messages,
    min_user_messages: f.min_user_messages,
    active_since: activeSince(f.active, now),
    gone_locally: f.log === "" ? null : f.log === "gone",
    include_one_shot: f.include_one_shot,
    include_children: true,
  };
}

/** The query values to carry in links, so moving between views keeps the filters. */
export function filterQuery(q: URLSearchParams): URLSearchParams {
  const kept = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = q.get(key);
    if (value) kept.set(key, value);
  }
  return kept;
}

export function activeFilterCount(f: ListFilters): number {
  return (
    f.project.length +
    f.machine.length +
    f.agent.length +
    (f.date_from ? 1 : 0) +
    (f.date_to ? 1 : 0) +
    (f.min_messages ? 1 : 0) +
    (f.max_messages ? 1 : 0) +
    (f.min_user_messages ? 1 : 0) +
    (f.active ? 1 : 0) +
    (f.log ? 1 : 0) +
    (f.include_one_shot ? 1 : 0)
  );
}
