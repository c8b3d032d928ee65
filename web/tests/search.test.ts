import { describe, expect, it } from "vitest";
import type { SearchHit } from "../src/lib/api/types";
import { apiQuery, countLine, effectiveSort, groupHits, readSearch, readTerms } from "../src/routes/search/searchState";

const q = (s: string): URLSearchParams => new URLSearchParams(s);

function hit(session_id: string, ordinal: number): SearchHit {
  return {
    session_id,
    project: "p",
    machine: session_id.split(":")[0] ?? "",
    agent: "claude",
    first_message: null,
    display_name: null,
    ordinal,
    role: "user",
    timestamp: null,
    rank: 0,
    source: "message",
    tool_name: null,
    snippet: "",
  };
}

describe("readSearch / apiQuery", () => {
  it("reads the URL and builds the API query from it", () => {
    const state = readSearch(q("q=%20db_pool.py%20&mode=substring&sort=rank&project=a,b&agent=codex"));
    expect(state).toMatchObject({ q: "db_pool.py", mode: "substring", sort: "rank", project: ["a", "b"], agent: ["codex"], machine: [] });
    expect(apiQuery(state, "next-token")).toEqual({
      q: "db_pool.py",
      mode: "substring",
      sort: "rank",
      project: ["a", "b"],
      machine: [],
      agent: ["codex"],
      role: [],
      date_from: null,
      date_to: null,
      limit: 50,
      cursor: "next-token",
    });
  });

  it("reads roles and the text's days, dropping what the API would refuse", () => {
    const state = readSearch(q("q=x&role=tool,wizard,user&since=2026-03-02&until=march"));
    expect([state.role, state.dateFrom, state.dateTo]).toEqual([["tool", "user"], "2026-03-02", null]);
    expect(apiQuery(state)).toMatchObject({ role: ["tool", "user"], date_from: "2026-03-02", date_to: null });
  });

  it("leaves defaults to the API and ignores unknown values", () => {
    const state = readSearch(q("q=x&mode=regex&sort=oldest"));
    expect(state.mode).toBe("words");
    expect(state.sort).toBeNull();
    expect(apiQuery(state)).toMatchObject({ mode: null, sort: null, cursor: null });
    expect(effectiveSort(state)).toBe("rank");
    expect(effectiveSort({ ...state, mode: "substring" })).toBe("recent");
    expect(effectiveSort({ ...state, mode: "substring", sort: "rank" })).toBe("rank");
  });
});

describe("groupHits", () => {
  it("groups by session in the order of each session's first hit, keeping hit order", () => {
    const groups = groupHits([hit("m:a", 5), hit("m:b", 1), hit("m:a", 2), hit("n:c", 9), hit("m:b", 0)]);
    expect(groups.map((g) => g.sessionId)).toEqual(["m:a", "m:b", "n:c"]);
    expect(groups[0]?.hits.map((h) => h.ordinal)).toEqual([5, 2]);
    expect(groups[1]?.hits.map((h) => h.ordinal)).toEqual([1, 0]);
    expect(groups[2]?.machine).toBe("n");
  });

  it("takes a title when the API gives one", () => {
    const titled = { ...hit("m:a", 0), first_message: "Fix the build", display_name: null };
    expect(groupHits([titled])[0]?.title).toBe("Fix the build");
    expect(groupHits([hit("m:a", 0)])[0]?.title).toBe("");
  });
});

describe("readTerms", () => {
  it("reads words, phrases, exclusions and prefixes", () => {
    expect(readTerms('migrate "the database" -arm64 -"old runner" zeb* x')).toEqual([
      { kind: "word", text: "migrate" },
      { kind: "phrase", text: "the database" },
      { kind: "exclude", text: "arm64" },
      { kind: "exclude", text: "old runner" },
      { kind: "prefix", text: "zeb" },
      { kind: "word", text: "x" },
    ]);
  });

  it("tolerates an unclosed quote, a lone dash and empty phrases", () => {
    expect(readTerms('"half open')).toEqual([{ kind: "phrase", text: "half open" }]);
    expect(readTerms('- "" *')).toEqual([{ kind: "word", text: "*" }]);
    expect(readTerms("   ")).toEqual([]);
  });
});

describe("countLine", () => {
  it("counts matches and sessions, with + while more pages exist", () => {
    expect(countLine(1, 1, false)).toBe("1 match in 1 session");
    expect(countLine(50, 3, true)).toBe("50+ matches in 3 sessions");
    expect(countLine(1200, 2, false)).toBe("1,200 matches in 2 sessions");
  });
});
