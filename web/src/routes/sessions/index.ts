import type { Route } from "../registry";

/** "/": the list alone (the sidebar), with a summary in the main area. */
export const routes: Route[] = [
  {
    name: "home",
    title: "Sessions",
    match: (s) => (s.length === 0 || (s.length === 1 && s[0] === "sessions") ? { params: {} } : null),
    load: () => import("./Home.svelte"),
  },
];
