/** The page sizes and queries of the first screen's requests, defined once for the views that
 * ask for them and for the boot module that starts them before the views' code has loaded
 * (firstScreen.ts): the prefetched URL is then exactly the URL the view asks for, so the view
 * takes the answer already on its way instead of fetching again (client.prefetch). Plain code
 * with no Svelte in it, so the boot module stays a few kilobytes.
 */
import type { QueryFor } from "./client";

/** Sessions per page of the list. */
export const LIST_PAGE = 200;
/** Messages per page of a session (a deep link to ordinal n reads the page holding n). */
export const MESSAGE_PAGE = 200;
/** Child sessions per page. */
export const CHILD_PAGE = 500;

export function listPageQuery(filters: QueryFor<"/api/v1/sessions">, cursor: string | null): QueryFor<"/api/v1/sessions"> {
  return { ...filters, limit: LIST_PAGE, cursor };
}

/** Messages [from, end) in order. */
export function messageRangeQuery(from: number, end: number): { from: number; limit: number; direction: "asc" } {
  return { from, limit: end - from, direction: "asc" };
}

/** The first ordinal of the page holding `ordinal`. */
export function messagePageStart(ordinal: number): number {
  return Math.floor(ordinal / MESSAGE_PAGE) * MESSAGE_PAGE;
}

export function childrenPageQuery(cursor: string | null): QueryFor<"/api/v1/sessions/{sid}/children"> {
  return { cursor, limit: CHILD_PAGE };
}
