/** The route table. Each feature folder exports its own routes; adding a page is one line here.
 * Components load lazily, so the first screen carries only the list and the session view.
 */
import type { Component } from "svelte";
import { routes as analytics } from "./analytics";
import { routes as search } from "./search";
import { routes as session } from "./session";
import { routes as sessions } from "./sessions";

export interface RouteMatch {
  /** Named values taken from the path (e.g. id, ordinal). */
  params: Record<string, string>;
}

export interface Route {
  name: string;
  /** Returns the path's params when the route handles these segments, else null. */
  match: (segments: readonly string[]) => RouteMatch | null;
  load: () => Promise<{ default: Component<{ params: Record<string, string> }> }>;
  /** Shown in the header and the tab title. */
  title: string;
}

export const ROUTES: readonly Route[] = [...session, ...search, ...analytics, ...sessions];

export function resolve(segments: readonly string[]): { route: Route; params: Record<string, string> } | null {
  for (const route of ROUTES) {
    const m = route.match(segments);
    if (m) return { route, params: m.params };
  }
  return null;
}
