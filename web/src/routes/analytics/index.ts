import type { Route } from "../registry";

/** "/analytics?…": the analytics and cost dashboard (owned by the search/analytics front end). */
export const routes: Route[] = [
  {
    name: "analytics",
    title: "Analytics",
    match: (s) => (s.length === 1 && s[0] === "analytics" ? { params: {} } : null),
    load: () => import("./AnalyticsPage.svelte"),
  },
];
