/** A hash router: every view and filter is in the URL (`#/s/<id>/m/<ordinal>?project=x`), so a
 * view survives reload, Back and a pasted link, and a static host needs no rewrite rules.
 */

export { parseHash, type Place } from "./hash";
import { parseHash, type Place } from "./hash";

/** Builds a hash from segments (each encoded) and a query (empty values dropped). */
export function hrefOf(segments: readonly (string | number)[], query?: URLSearchParams | Record<string, string>): string {
  const path = "/" + segments.map((s) => encodeURIComponent(String(s))).join("/");
  const params = new URLSearchParams(query instanceof URLSearchParams ? query : Object.entries(query ?? {}));
  for (const [key, value] of [...params.entries()]) if (value === "") params.delete(key);
  const qs = params.toString();
  return `#${path}${qs ? `?${qs}` : ""}`;
}

class Router {
  place = $state<Place>(parseHash(typeof location === "undefined" ? "" : location.hash));

  constructor() {
    if (typeof window !== "undefined") {
      window.addEventListener("hashchange", () => {
        this.place = parseHash(location.hash);
      });
    }
  }

  /** Go to a hash. `replace` keeps Back from stepping through every small change (typing a filter). */
  go(hash: string, { replace = false } = {}): void {
    if (hash === location.hash) return;
    if (replace) {
      history.replaceState(history.state, "", hash);
      this.place = parseHash(hash);
    } else {
      location.hash = hash;
    }
  }

  /** Same path, some query values changed (empty or null removes one). */
  setQuery(changes: Record<string, string | null>, { replace = true } = {}): void {
    const query = new URLSearchParams(this.place.query);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "") query.delete(key);
      else query.set(key, value);
    }
    this.go(hrefOf(this.place.segments, query), { replace });
  }
}

export const router = new Router();
