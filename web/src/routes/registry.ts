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

type ViewModule = Awaited<ReturnType<Route["load"]>>;
const loaded = new Map<string, ViewModule>();

/** Loads the route's view (its code chunk) and remembers it: see loadedView. */
export function loadView(route: Route): Promise<ViewModule> {
  return route.load().then((module) => {
    loaded.set(route.name, module);
    return module;
  });
}

/** The route's view if its code has loaded already, at once. A dynamic import() of a module
 * the page already has still answers in a later task, and the browser may draw a frame first:
 * the shell without its view (on a deep link, a frame before the message's). */
export function loadedView(route: Route): ViewModule | undefined {
  return loaded.get(route.name);
}

export const ROUTES: readonly Route[] = [...session, ...search, ...analytics, ...sessions];

export function resolve(segments: readonly string[]): { route: Route; params: Record<string, string> } | null {
  for (const route of ROUTES) {
    const m = route.match(segments);
    if (m) return { route, params: m.params };
  }
  return null;
}
