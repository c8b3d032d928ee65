import type { Route } from "../registry";

/** "/s/<id>" and "/s/<id>/m/<ordinal>": one session, optionally opened at a message. */
export const routes: Route[] = [
  {
    name: "session",
    title: "Session",
    match: (s) => {
      if (s[0] !== "s" || !s[1]) return null;
      const params: Record<string, string> = { id: s[1] };
      if (s.length === 4 && s[2] === "m" && /^\d+$/.test(s[3] ?? "")) params.ordinal = s[3] ?? "";
      else if (s.length !== 2) return null;
      return { params };
    },
    load: () => import("./SessionPage.svelte"),
  },
];
