/** The search page's state, read from the URL (one source of truth), the API query built from
 * it, the hits grouped by session, and a plain-words reading of the query syntax. Pure: tested
 * by Vitest (tests/search.test.ts).
 */
import type { QueryFor } from "../../lib/api/client";
import type { SearchHit } from "../../lib/api/types";
import { grouped, plural } from "../../lib/format";

export type Mode = "words" | "substring";
export type Sort = "rank" | "recent";
/** Hits asked for per page (the API allows up to 500). */
export const PAGE_SIZE = 50;

export interface SearchState {
  q: string;
  mode: Mode;
  /** null: the API's default for the mode (rank for words, recent for substring). */
  sort: Sort | null;
  project: string[];
  machine: string[];
  agent: string[];
  /** whose texts: user, assistant, system (a message's text by its role), tool (tool outputs) */
  role: Role[];
  /** UTC days of the text's own time, inclusive (YYYY-MM-DD) */
  dateFrom: string | null;
  dateTo: string | null;
}

export const ROLES = ["user", "assistant", "system", "tool"] as const;
export type Role = (typeof ROLES)[number];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const day = (value: string | null): string | null => (value && DAY.test(value) ? value : null);

const list = (q: URLSearchParams, key: string): string[] =>
  (q.get(key) ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export function readSearch(q: URLSearchParams): SearchState {
  const sort = q.get("sort");
  return {
    q: (q.get("q") ?? "").trim(),
    mode: q.get("mode") === "substring" ? "substring" : "words",
    sort: sort === "rank" || sort === "recent" ? sort : null,
    project: list(q, "project"),
    machine: list(q, "machine"),
    agent: list(q, "agent"),
    role: list(q, "role").filter((r): r is Role => (ROLES as readonly string[]).includes(r)),
    dateFrom: day(q.get("since")),
    dateTo: day(q.get("until")),
  };
}

/** The sort the answer will have: the chosen one, else the mode's default. */
export function effectiveSort(state: SearchState): Sort {
  return state.sort ?? (state.mode === "words" ? "rank" : "recent");
}

/** The /search query for one page (`cursor` is the previous answer's `next`). */
export function apiQuery(state: SearchState, cursor: string | null = null): QueryFor<"/api/v1/search"> {
  return {
    q: state.q,
    mode: state.mode === "words" ? null : state.mode,
    sort: state.sort,
    project: state.project,
    machine: state.machine,
    agent: state.agent,
    role: state.role,
    date_from: state.dateFrom,
    date_to: state.dateTo,
    limit: PAGE_SIZE,
    cursor,
  };
}

export interface HitGroup {
  sessionId: string;
  project: string;
  machine: string;
  agent: string;
  title: string;
  hits: SearchHit[];
}

/** Hits grouped by session, groups in the order of their best (first) hit, hits in answer order. */
export function groupHits(hits: readonly SearchHit[]): HitGroup[] {
  const groups = new Map<string, HitGroup>();
  for (const hit of hits) {
    let group = groups.get(hit.session_id);
    if (!group) {
      const extra = hit as SearchHit & { display_name?: string | null; first_message?: string | null };
      group = {
        sessionId: hit.session_id,
        project: hit.project,
        machine: hit.machine,
        agent: hit.agent,
        title: extra.display_name || extra.first_message || "",
        hits: [],
      };
      groups.set(hit.session_id, group);
    }
    group.hits.push(hit);
  }
  return [...groups.values()];
}

export type TermKind = "word" | "phrase" | "prefix" | "exclude";
export interface Term {
  kind: TermKind;
  text: string;
}

/** The query as the API reads it in words mode: bare words (all must occur), "phrases",
 * -exclusions (of a word or a phrase) and prefix*. Shown under the box so the syntax explains
 * itself; the server's own parser decides (viewer_fn/search_query.py). */
export function readTerms(q: string): Term[] {
  const terms: Term[] = [];
  const pattern = /(-?)"([^"]*)"?|(\S+)/g;
  for (const m of q.matchAll(pattern)) {
    if (m[2] !== undefined) {
      const text = m[2].trim();
      if (text) terms.push({ kind: m[1] ? "exclude" : "phrase", text });
      continue;
    }
    let word = m[3] ?? "";
    const exclude = word.startsWith("-") && word.length > 1;
    if (exclude) word = word.slice(1);
    if (!word || word === "-") continue;
    if (exclude) terms.push({ kind: "exclude", text: word });
    else if (word.endsWith("*") && word.length > 1) terms.push({ kind: "prefix", text: word.slice(0, -1) });
    else terms.push({ kind: "word", text: word });
  }
  return terms;
}

/** "2 matches in 1 session" style counts for the status line. */
export function countLine(hits: number, sessions: number, more: boolean): string {
  const h = `${grouped(hits)}${more ? "+" : ""} ${hits === 1 && !more ? "match" : "matches"}`;
  return `${h} in ${plural(sessions, "session")}`;
}
