/** The one way the page talks to the viewer API.
 *
 * Paths are checked against the generated OpenAPI types (schema.d.ts, `npm run gen:api`), so a
 * route the page calls cannot disappear from the API unnoticed: the type check fails. Answers
 * are typed from the same document wherever the API declares a response model.
 */
import { apiBase, isCrossOrigin } from "../config";
import type { paths } from "./schema";

type GetPaths = { [P in keyof paths]: paths[P] extends { get: unknown } ? P : never }[keyof paths];
type PostPaths = { [P in keyof paths]: paths[P] extends { post: unknown } ? P : never }[keyof paths];
type JsonOf<Op> = Op extends { responses: { 200: { content: { "application/json": infer T } } } } ? T : unknown;
export type GetAnswer<P extends GetPaths> = paths[P] extends { get: infer Op } ? JsonOf<Op> : never;

export type QueryValue = string | number | boolean | null | undefined | readonly string[];
export type Query = Record<string, QueryValue>;
type QueryOf<P extends GetPaths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;
/** The query a route declares: a misspelt or removed parameter is a type error. */
export type QueryFor<P extends GetPaths> = { [K in keyof QueryOf<P>]?: QueryValue };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Called when the API says the login is missing or expired (401): the app shows the login page. */
let onUnauthorized: ((message: string) => void) | null = null;
/** A 401 that came before the app set its handler: one of the boot module's first requests
 * (firstScreen.ts), answered while the app's code was still loading. Kept for the handler, so a
 * signed-out deep link shows its login at once instead of once the view has loaded and asked again. */
let missed: string | null = null;
export function setUnauthorizedHandler(handler: (message: string) => void): void {
  onUnauthorized = handler;
  if (missed === null) return;
  const message = missed;
  missed = null;
  handler(message);
}

/** A path parameter escaped before it is percent-encoded: `%` as `%25`, `/` as `%2F`. Servers
 * and API Gateway decode the path once before routing, so a session id ending like a sub-route
 * (`laptop:a/messages`) would otherwise name another route (docs/api.md, "Session ids in paths"). */
export function escapePathValue(value: string): string {
  return value.replaceAll("%", "%25").replaceAll("/", "%2F").replaceAll("?", "%3F").replaceAll("#", "%23");
}

export function buildUrl(base: string, path: string, params: Record<string, string> = {}, query: Query = {}): string {
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name} for ${path}`);
    return encodeURIComponent(escapePathValue(value));
  });
  const url = new URL(filled.replace(/^\//, ""), base);
  for (const [key, value] of Object.entries(query)) {
    // null/undefined/"" mean "not given" (the API's default). false is sent: for a flag it is the
    // default anyway, and for a three-way filter (gone_locally: true/false/any) it is a choice.
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value)) {
      if (value.length) url.searchParams.set(key, value.join(","));
    } else {
      url.searchParams.set(key, String(value));
    }
  }
  return url.href;
}

/** Why a request got no answer at all. Hosted apart, the likely cause is the API's CORS list
 * (the browser hides the real reason from the page), so the message names both origins. */
function unreachable(base: string): string {
  if (!isCrossOrigin(base)) return "cannot reach the server; check your connection";
  const page = new URL(document.baseURI).origin;
  return `cannot reach the API at ${base}: check that it is up, and that its AV_CORS_ORIGINS lists this page's origin (${page})`;
}

async function request(url: string, init: RequestInit): Promise<unknown> {
  const base = apiBase();
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      // Same origin: the login cookie goes by default. Hosted apart: it must be asked for.
      credentials: isCrossOrigin(base) ? "include" : "same-origin",
      headers: { Accept: "application/json", ...(init.headers ?? {}) },
    });
  } catch {
    throw new ApiError(0, unreachable(base));
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON: reported below */
  }
  const failed = !response.ok || body === null || (typeof body === "object" && (body as { ok?: unknown }).ok === false);
  if (failed) {
    const error = typeof body === "object" && body !== null ? (body as { error?: unknown }).error : undefined;
    const message = typeof error === "string" && error ? error : `request failed (HTTP ${response.status})`;
    if (response.status === 401) {
      if (onUnauthorized) onUnauthorized(message);
      else missed = message;
    }
    throw new ApiError(response.status, message);
  }
  return body;
}

export interface GetOptions<P extends GetPaths> {
  params?: Record<string, string>;
  query?: QueryFor<P>;
  signal?: AbortSignal;
}

/** Requests started before the page's components exist (see prefetch), by URL. */
const early = new Map<string, Promise<unknown>>();

export function get<P extends GetPaths>(path: P, options: GetOptions<NoInfer<P>> = {}): Promise<GetAnswer<P>> {
  const url = buildUrl(apiBase(), path, options.params, options.query as Query | undefined);
  const started = early.get(url);
  if (started) {
    early.delete(url);
    return started as Promise<GetAnswer<P>>;
  }
  return request(url, { method: "GET", signal: options.signal }) as Promise<GetAnswer<P>>;
}

/** Starts a GET now, for a component that will ask for exactly the same URL soon: the first
 * screen's data then loads in parallel with the page's code instead of after it. Returns the
 * request's promise (the component's answer comes from it; a caller may wait for it to settle). */
export function prefetch<P extends GetPaths>(path: P, options: GetOptions<P> = {}): Promise<unknown> {
  const url = buildUrl(apiBase(), path, options.params, options.query as Query | undefined);
  const running = early.get(url);
  if (running) return running;
  const pending = request(url, { method: "GET" });
  // A failed prefetch (not signed in yet, say) is forgotten: whoever asks later fetches anew.
  pending.catch(() => {
    if (early.get(url) === pending) early.delete(url);
  });
  early.set(url, pending);
  // Not asked for within a few seconds: drop it, so a later visit fetches fresh data.
  setTimeout(() => early.delete(url), 5_000);
  return pending;
}

export function post<P extends PostPaths>(path: P, body?: unknown): Promise<unknown> {
  return request(buildUrl(apiBase(), path), {
    method: "POST",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A URL for a plain link or download (export), carrying no secret: the cookie authenticates. */
export function linkTo<P extends GetPaths>(path: P, params: Record<string, string> = {}, query: QueryFor<P> = {}): string {
  return buildUrl(apiBase(), path, params, query as Query);
}
