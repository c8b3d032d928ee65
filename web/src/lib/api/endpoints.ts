/** Typed calls for the routes the page uses. */
import { get, post, type Query } from "./client";
import type { Message, NamedCount, Session, SessionsPage } from "./types";

export async function me(): Promise<string> {
  const answer = (await get("/api/v1/auth/me")) as { name?: unknown };
  return typeof answer.name === "string" ? answer.name : "";
}

export async function login(token: string): Promise<string> {
  const answer = (await post("/api/v1/auth/login", { token })) as { name?: unknown };
  return typeof answer.name === "string" ? answer.name : "";
}

export async function logout(): Promise<void> {
  await post("/api/v1/auth/logout");
}

export async function listSessions(query: Query, signal?: AbortSignal): Promise<SessionsPage> {
  return (await get("/api/v1/sessions", { query, signal })) as unknown as SessionsPage;
}

export async function session(id: string, signal?: AbortSignal): Promise<Session> {
  const answer = (await get("/api/v1/sessions/{sid}", { params: { sid: id }, signal })) as { session: Session };
  return answer.session;
}

export async function sessionVersion(id: string): Promise<number> {
  const answer = (await get("/api/v1/sessions/{sid}/version", { params: { sid: id } })) as { version: number };
  return answer.version;
}

export async function messages(
  id: string,
  query: { from?: number; limit?: number; direction?: "asc" | "desc" },
  signal?: AbortSignal,
): Promise<Message[]> {
  const answer = (await get("/api/v1/sessions/{sid}/messages", { params: { sid: id }, query, signal })) as {
    messages: Message[];
  };
  return answer.messages;
}

export async function children(id: string): Promise<Session[]> {
  const answer = (await get("/api/v1/sessions/{sid}/children", { params: { sid: id } })) as { sessions: Session[] };
  return answer.sessions;
}

export async function findInSession(id: string, q: string): Promise<number[]> {
  const answer = (await get("/api/v1/sessions/{sid}/search", { params: { sid: id }, query: { q } })) as {
    ordinals: number[];
  };
  return answer.ordinals;
}

export type ListName = "projects" | "machines" | "agents";

export async function namedList(which: ListName, query: Query = {}): Promise<NamedCount[]> {
  const path = `/api/v1/${which}` as const;
  const answer = (await get(path, { query })) as Record<string, unknown>;
  return (answer[which] as NamedCount[] | undefined) ?? [];
}

export async function globalVersion(): Promise<number> {
  const answer = (await get("/api/v1/changes")) as { global_version?: number | null };
  return answer.global_version ?? 0;
}
