/** Each panel's numbers as a table (its table view and its CSV) built from the API's answer.
 * Pure: the CSV contents are tested by Vitest and by the browser tests. */
import type { components } from "../../lib/api/schema";
import { addDays } from "./analyticsState";
import type { Table } from "./csv";

type S = components["schemas"];
export type Summary = S["Summary"];
export type Activity = S["Activity"];
export type Heatmap = S["Heatmap"];
export type Projects = S["Projects"];
export type HourOfWeek = S["HourOfWeek"];
export type Shape = S["SessionShape"];
export type Velocity = S["Velocity"];
export type Tools = S["Tools"];
export type TopSessions = S["TopSessions"];
export type Tokens = S["Tokens"];

export function summaryTable(s: Summary): Table {
  return {
    header: ["metric", "value"],
    rows: [
      ["sessions", s.total_sessions],
      ["messages", s.total_messages],
      ["active projects", s.active_projects],
      ["active days", s.active_days],
      ["average messages per session", s.avg_messages],
      ["median messages per session", s.median_messages],
      ["90th percentile messages per session", s.p90_messages],
      ["most active project", s.most_active_project ?? ""],
      ["share of messages in the top 3 projects", s.concentration],
    ],
  };
}

/** Named totals ({name: {sessions, messages}}) as rows, most messages first. */
export function namedTotals(byName: Record<string, { sessions: number; messages: number }>): { name: string; sessions: number; messages: number }[] {
  return Object.entries(byName)
    .map(([name, t]) => ({ name, sessions: t.sessions, messages: t.messages }))
    .sort((a, b) => b.messages - a.messages || a.name.localeCompare(b.name));
}

export function namedTable(kind: string, byName: Record<string, { sessions: number; messages: number }>): Table {
  return { header: [kind, "sessions", "messages"], rows: namedTotals(byName).map((r) => [r.name, r.sessions, r.messages]) };
}

/** Agents that appear anywhere in the series, busiest first (the timeline's stacks). */
export function seriesAgents(a: Activity): string[] {
  const totals = new Map<string, number>();
  for (const p of a.series) for (const [agent, n] of Object.entries(p.by_agent)) totals.set(agent, (totals.get(agent) ?? 0) + n);
  return [...totals.entries()].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([agent]) => agent);
}

export function activityTable(a: Activity): Table {
  const agents = seriesAgents(a);
  return {
    header: ["period start", "sessions", "messages", "user messages", "assistant messages", "tool calls", "thinking messages", ...agents.map((x) => `messages: ${x}`)],
    rows: a.series.map((p) => [
      p.date,
      p.sessions,
      p.messages,
      p.user_messages,
      p.assistant_messages,
      p.tool_calls,
      p.thinking_messages,
      ...agents.map((x) => p.by_agent[x] ?? 0),
    ]),
  };
}

export function heatmapTable(h: Heatmap): Table {
  return { header: ["date", h.metric, "level"], rows: h.entries.map((e) => [e.date, e.value, e.level]) };
}

export const WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export function hourOfWeekTable(h: HourOfWeek): Table {
  const rows = [...h.cells].sort((a, b) => a.day_of_week - b.day_of_week || a.hour - b.hour);
  return { header: ["weekday", "hour", "messages"], rows: rows.map((c) => [WEEKDAY_NAMES[c.day_of_week] ?? c.day_of_week, c.hour, c.messages]) };
}

export function projectsTable(p: Projects): Table {
  return {
    header: ["project", "sessions", "messages", "first session", "last session", "average messages", "median messages", "messages per active day"],
    rows: p.projects.map((x) => [x.name, x.sessions, x.messages, x.first_session, x.last_session, x.avg_messages, x.median_messages, x.daily_trend]),
  };
}

export function shapeTable(s: Shape): Table {
  const rows: Table["rows"] = [];
  for (const [name, list] of [
    ["length (messages)", s.length_distribution],
    ["duration", s.duration_distribution],
    ["autonomy (tool turns per user message)", s.autonomy_distribution],
  ] as const) {
    for (const b of list) rows.push([name, b.label, b.count]);
  }
  return { header: ["distribution", "bucket", "sessions"], rows };
}

export function velocityTable(v: Velocity): Table {
  const row = (group: string, label: string, sessions: number | null, o: Velocity["overall"]): Table["rows"][number] => [
    group,
    label,
    sessions,
    o.turn_cycle_sec.p50,
    o.turn_cycle_sec.p90,
    o.first_response_sec.p50,
    o.first_response_sec.p90,
    o.msgs_per_active_min,
    o.chars_per_active_min,
    o.tool_calls_per_active_min,
  ];
  return {
    header: [
      "group",
      "label",
      "sessions",
      "turn cycle p50 (s)",
      "turn cycle p90 (s)",
      "first response p50 (s)",
      "first response p90 (s)",
      "messages per active minute",
      "characters per active minute",
      "tool calls per active minute",
    ],
    rows: [
      row("overall", "all", null, v.overall),
      ...v.by_agent.map((g) => row("agent", g.label, g.sessions, g.overview)),
      ...v.by_complexity.map((g) => row("complexity (messages)", g.label, g.sessions, g.overview)),
    ],
  };
}

export function toolsTable(t: Tools): Table {
  return { header: ["category", "calls", "share"], rows: t.by_category.map((c) => [c.category, c.count, c.pct]) };
}

/** Categories across the weekly trend, busiest first. */
export function trendCategories(t: Tools): string[] {
  return t.by_category.map((c) => c.category);
}

export function topSessionsTable(t: TopSessions): Table {
  return {
    header: ["session", "project", "first message", "messages", "duration (min)"],
    rows: t.sessions.map((s) => [s.id, s.project, s.first_message ?? "", s.message_count, s.duration_min]),
  };
}

const TOKEN_HEAD = ["input tokens", "output tokens", "cache write tokens", "cache read tokens", "messages"];

export function tokensByModelTable(t: Tokens): Table {
  return {
    header: ["model", ...TOKEN_HEAD],
    rows: t.by_model.map((m) => [m.model || "(unknown)", m.input_tokens, m.output_tokens, m.cache_creation_tokens, m.cache_read_tokens, m.messages]),
  };
}

export function tokensByDayTable(t: Tokens): Table {
  return {
    header: ["date", ...TOKEN_HEAD],
    rows: t.by_day.map((d) => [d.date ?? "(no time)", d.input_tokens, d.output_tokens, d.cache_creation_tokens, d.cache_read_tokens, d.messages]),
  };
}

/** Every period start from `from` to `to`: days, Mondays, or the 1st of each month. */
export function periods(from: string, to: string, granularity: "day" | "week" | "month"): string[] {
  let start = from;
  if (granularity === "week") start = addDays(from, -((new Date(`${from}T00:00:00Z`).getUTCDay() + 6) % 7));
  if (granularity === "month") start = `${from.slice(0, 7)}-01`;
  const out: string[] = [];
  for (let day = start; day <= to && out.length < 4000; ) {
    out.push(day);
    if (granularity === "day") day = addDays(day, 1);
    else if (granularity === "week") day = addDays(day, 7);
    else {
      const [y, m] = [Number(day.slice(0, 4)), Number(day.slice(5, 7))];
      day = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, "0")}-01`;
    }
  }
  return out;
}

/** A series with a row for every period of the range: the API leaves out periods with no
 * activity, and a timeline must show those gaps as zeros, not close them up. */
export function filled<T extends { date: string | null }>(rows: readonly T[], all: readonly string[], zero: (date: string) => T): T[] {
  const byDate = new Map(rows.filter((r) => r.date !== null).map((r) => [r.date as string, r]));
  const extra = rows.filter((r) => r.date === null || !all.includes(r.date));
  return [...all.map((d) => byDate.get(d) ?? zero(d)), ...extra];
}

export function filledActivity(a: Activity, from: string, to: string): Activity {
  const zero = (date: string): Activity["series"][number] => ({
    date,
    sessions: 0,
    messages: 0,
    user_messages: 0,
    assistant_messages: 0,
    tool_calls: 0,
    thinking_messages: 0,
    by_agent: {},
  });
  return { ...a, series: filled(a.series, periods(from, to, a.granularity), zero) };
}

export function filledTokens(t: Tokens, from: string, to: string): Tokens {
  const zero = (date: string): Tokens["by_day"][number] => ({ date, input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, messages: 0 });
  return { ...t, by_day: filled(t.by_day, periods(from, to, "day"), zero) };
}
