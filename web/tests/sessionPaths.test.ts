import { describe, expect, it } from "vitest";
import { buildUrl, escapePathValue } from "../src/lib/api/client";
import { hrefOf, parseHash } from "../src/lib/router.svelte";

// What the server does with a path segment: decoded once by whatever sits in front of the
// routes, then unescaped (viewer_fn/session_paths.py).
function serverSees(segment: string): string {
  const unescaped: Record<string, string> = { "2F": "/", "25": "%", "3F": "?", "23": "#" };
  return decodeURIComponent(segment).replace(/%(2[Ff]|25|3[Ff]|23)/g, (_, code: string) => unescaped[code.toUpperCase()] ?? "");
}

const IDS = ["laptop:a/messages", "laptop:x/cost", "laptop:y/export", "laptop:50%/search", "laptop:p%2Fq", "laptop:z/messages/0/text", "m:東京/ é", "laptop:q?x=1/messages", "laptop:h#frag"];

describe("session ids in API paths (docs/api.md, Session ids in paths)", () => {
  it.each(IDS)("%s stays one segment the server reads back whole", (id) => {
    const url = new URL(buildUrl("https://v.example/", "/api/v1/sessions/{sid}/messages", { sid: id }));
    const segments = url.pathname.split("/");
    expect(segments.slice(0, 4)).toEqual(["", "api", "v1", "sessions"]);
    expect(segments.slice(5)).toEqual(["messages"]);
    // No "/", "?" or "#" appears after the one decoding in front of the routes (API Gateway HTTP
    // APIs cut the decoded path at a "?").
    expect(decodeURIComponent(segments[4] ?? "")).not.toMatch(/[/?#]/);
    expect(serverSees(segments[4] ?? "")).toBe(id);
  });

  it("escapes %, /, ? and #, nothing else", () => {
    expect(escapePathValue("a%2F/b")).toBe("a%252F%2Fb");
    expect(escapePathValue("plain:id")).toBe("plain:id");
    expect(escapePathValue("q?x#y")).toBe("q%3Fx%23y");
  });
});

describe("session ids in the page's own links", () => {
  it.each(IDS)("#/s/<%s> opens that session", (id) => {
    expect(parseHash(hrefOf(["s", id, "m", 3])).segments).toEqual(["s", id, "m", "3"]);
  });
});
