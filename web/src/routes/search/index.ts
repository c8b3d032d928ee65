import type { Route } from "../registry";

/** "/search?q=…": search across every session (owned by the search/analytics front end). */
export const routes: Route[] = [
  {
    name: "search",
    title: "Search",
    match: (s) => (s.length === 1 && s[0] === "search" ? { params: {} } : null),
    load: () => import("./SearchPage.svelte"),
  },
];
