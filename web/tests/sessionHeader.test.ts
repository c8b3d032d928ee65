import { flushSync, mount, unmount } from "svelte";
import { describe, expect, it } from "vitest";
import SessionHeader from "../src/components/session/SessionHeader.svelte";
import type { Session } from "../src/lib/api/types";

const session = {
  id: "m:s1",
  session_id: "s1",
  machine: "m",
  agent: "claude",
  project: "proj",
  message_count: 12,
  started_at: "2026-03-01T03:01:00Z",
  ended_at: "2026-03-01T03:07:00Z",
} as unknown as Session;

describe("SessionHeader", () => {
  it("separates the start time and the duration with a space on each side of the dot", () => {
    const target = document.createElement("div");
    const header = mount(SessionHeader, { target, props: { session, children: [], backHref: "#/" } });
    flushSync();
    const spans = [...target.querySelectorAll(".meta span")].map((s) => s.textContent ?? "");
    const when = spans.find((t) => t.includes("6 min"));
    expect(when).toMatch(/\S · 6 min$/);
    unmount(header);
  });
});
