/** Typed calls for the routes the page uses. */
import { get, post, type GetAnswer, type QueryFor } from "./client";
import { childrenPageQuery } from "./pages";
import type { Cut, Message, NamedCount, Session, SessionsPage, TextRange } from "./types";

/** The most pages a "read every page" helper follows (a guard against a server that loops). */
const MAX_PAGES = 200;

export async function me(): Promise<string> {
  return (await get("/api/v1/auth/me")).name;
}

export async function login(token: string): Promise<string> {
  const answer = (await post("/api/v1/auth/login", { token })) as { name?: unknown };
  return typeof answer.name === "string" ? answer.name : "";
}

export async function logout(): Promise<void> {
  await post("/api/v1/auth/logout");
}

export function listSessions(query: QueryFor<"/api/v1/sessions">, signal?: AbortSignal): Promise<SessionsPage> {
  return get("/api/v1/sessions", { query, signal });
}

export async function session(id: string, signal?: AbortSignal): Promise<Session> {
  return (await get("/api/v1/sessions/{sid}", { params: { sid: id }, signal })).session;
}

export async function sessionVersion(id: string): Promise<number> {
  return (await get("/api/v1/sessions/{sid}/version", { params: { sid: id } })).version;
}

export async function messages(
  id: string,
  query: { from?: number; limit?: number; direction?: "asc" | "desc" },
  signal?: AbortSignal,
): Promise<Message[]> {
  return (await get("/api/v1/sessions/{sid}/messages", { params: { sid: id }, query, signal })).rows;
}

/** One range of a text the message page cut (the API's ranged text route). */
export function textRange(id: string, ordinal: number, cut: Cut, offset: number, signal?: AbortSignal): Promise<TextRange> {
  return get("/api/v1/sessions/{sid}/messages/{ordinal}/text", {
    params: { sid: id, ordinal: String(ordinal) },
    query: { part: cut.part, call_index: cut.call_index, pointer: cut.pointer, offset },
    signal,
  });
}

export async function children(id: string): Promise<Session[]> {
  const out: Session[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page: GetAnswer<"/api/v1/sessions/{sid}/children"> = await get("/api/v1/sessions/{sid}/children", { params: { sid: id }, query: childrenPageQuery(cursor) });
    out.push(...page.rows);
    cursor = page.next;
    if (!cursor) break;
  }
  return out;
}

export async function findInSession(id: string, q: string): Promise<number[]> {
  const out: number[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page: GetAnswer<"/api/v1/sessions/{sid}/search"> = await get("/api/v1/sessions/{sid}/search", { params: { sid: id }, query: { q, cursor, limit: 1000 } });
    out.push(...page.rows);
    cursor = page.next;
    if (!cursor) break;
  }
  return out;
}

export type ListName = "projects" | "machines" | "agents";

/** Every value the server knows for a filter (the typeahead's options). */
export async function namedList(which: ListName, query: QueryFor<"/api/v1/projects"> = {}): Promise<NamedCount[]> {
  const out: NamedCount[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page: GetAnswer<"/api/v1/projects"> = await get(`/api/v1/${which}`, { query: { ...query, cursor, limit: 500 } });
    out.push(...page.rows);
    cursor = page.next;
    if (!cursor) break;
  }
  return out;
}

export async function globalVersion(): Promise<number> {
  return (await get("/api/v1/changes")).global_version;
}
