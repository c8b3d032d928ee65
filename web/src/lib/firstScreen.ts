/** What the first screen needs, started before any component mounts: the login check, the
 * current view's code, the session list and, for a session link, the session and the page of
 * messages it opens at. Each request is the exact URL the components ask for later
 * (client.prefetch), so nothing is fetched twice. Data is prefetched only when this browser
 * was signed in last time (a hint in localStorage), so a signed-out visit makes no failing calls.
 */
import { prefetch } from "./api/client";
import { probablySignedIn } from "./auth.svelte";
import { parseHash } from "./router.svelte";
import { resolve } from "../routes/registry";
import { apiQuery, readFilters } from "./sessions/filters";
import { PAGE_SIZE } from "./sessions/store.svelte";
import { PAGE } from "./session/window.svelte";
import { CHILD_PAGE } from "./api/endpoints";

export function startFirstScreen(hash: string): void {
  const place = parseHash(hash);
  const target = resolve(place.segments);
  void target?.route.load().catch(() => {});
  prefetch("/api/v1/auth/me");
  // Signed out, every data request would be a 401: wait for the login then.
  if (!probablySignedIn()) return;
  prefetch("/api/v1/sessions", { query: { ...apiQuery(readFilters(place.query)), limit: PAGE_SIZE, cursor: null } });
  if (target?.route.name === "session" && target.params.id) {
    const sid = target.params.id;
    const ordinal = Number(target.params.ordinal ?? 0);
    const from = Math.floor(ordinal / PAGE) * PAGE;
    prefetch("/api/v1/sessions/{sid}", { params: { sid } });
    prefetch("/api/v1/sessions/{sid}/messages", { params: { sid }, query: { from, limit: PAGE, direction: "asc" } });
    prefetch("/api/v1/sessions/{sid}/children", { params: { sid }, query: { cursor: null, limit: CHILD_PAGE } });
  }
}
