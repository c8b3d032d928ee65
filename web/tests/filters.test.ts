import { describe, expect, it } from "vitest";
import { activeFilterCount, activeSince, apiQuery, filterQuery, readFilters } from "../src/lib/sessions/filters";

const NOW = Date.parse("2026-12-07T08:30:42.123Z");

describe("session-list filters", () => {
  it("reads every filter from the URL, and ignores values it does not know", () => {
    const f = readFilters(new URLSearchParams("project=a,b&min_user_messages=3&active=24h&group=agent"));
    expect(f.project).toEqual(["a", "b"]);
    expect(f.min_user_messages).toBe("3");
    expect(f.active).toBe("24h");
    expect(f.group).toBe("agent");
    expect(readFilters(new URLSearchParams("active=2h&group=color")).active).toBe("");
    expect(readFilters(new URLSearchParams("active=2h&group=color")).group).toBe("none");
  });

  it("turns 'active within' into active_since, to the minute", () => {
    expect(activeSince("", NOW)).toBeNull();
    expect(activeSince("1h", NOW)).toBe("2026-12-07T07:30:00.000Z");
    expect(activeSince("7d", NOW)).toBe("2026-11-30T08:30:00.000Z");
    // Within one minute the query is the same URL (the first screen's prefetch is reused).
    const f = readFilters(new URLSearchParams("active=24h&min_user_messages=2"));
    expect(apiQuery(f, NOW)).toEqual(apiQuery(f, NOW + 10_000));
    expect(apiQuery(f, NOW)).toMatchObject({ active_since: "2026-12-06T08:30:00.000Z", min_user_messages: "2", include_children: true });
  });

  it("counts and carries the new filters", () => {
    const q = new URLSearchParams("active=30d&min_user_messages=1&hide=user");
    expect(activeFilterCount(readFilters(q))).toBe(2);
    expect(filterQuery(q).toString()).toBe("min_user_messages=1&active=30d");
  });
});

describe("the log-file filter", () => {
  it("reads gone/present from the URL and asks the API for gone_locally", () => {
    expect(apiQuery(readFilters(new URLSearchParams("log=gone")), NOW).gone_locally).toBe(true);
    expect(apiQuery(readFilters(new URLSearchParams("log=present")), NOW).gone_locally).toBe(false);
    expect(apiQuery(readFilters(new URLSearchParams("")), NOW).gone_locally).toBeNull();
    expect(readFilters(new URLSearchParams("log=maybe")).log).toBe("");
    const q = new URLSearchParams("log=gone&hide=user");
    expect(activeFilterCount(readFilters(q))).toBe(1);
    expect(filterQuery(q).toString()).toBe("log=gone");
  });
});

describe("query strings", () => {
  it("send false (a three-way filter's choice) and leave out what is not given", async () => {
    const { buildUrl } = await import("../src/lib/api/client");
    const url = new URL(buildUrl("https://v.example/", "/api/v1/sessions", {}, { gone_locally: false, project: [], active_since: null, q: "" }));
    expect(url.search).toBe("?gone_locally=false");
  });
});
