import { describe, expect, it } from "vitest";
import type { Cut, Message, ToolCall } from "../src/lib/api/types";
import { parts } from "../src/lib/session/content";
import { blocksToOpen, cutsHidingMatch, markedText, matcher, rangesIn } from "../src/lib/session/find";

function message(extra: Partial<Message>): Message {
  return {
    ordinal: 7, role: "assistant", content: "", blocks: null, timestamp: null, model: null, message_key: null,
    has_thinking: false, has_tool_use: false, is_system: false, content_length: 0, input_tokens: 0,
    output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, tool_calls: [], cuts: [], ...extra,
  };
}

function call(extra: Partial<ToolCall>): ToolCall {
  return {
    call_index: 0, tool_use_id: "t1", tool_name: "Bash", category: "bash", input_json: "{}", skill_name: null,
    result_content: null, result_length: null, result_truncated: false, result_is_error: false, subagent_session_id: null,
    ...extra,
  };
}

describe("in-session find", () => {
  it("takes the query as text, case-insensitively", () => {
    expect(matcher("  ")).toBeNull();
    const re = matcher("a.b (c)*");
    expect(re?.test("xx A.B (C)* yy")).toBe(true);
    expect(matcher("a.b")?.test("axb")).toBe(false);
  });

  it("opens the thinking and tool calls holding a match, and a result's tail past its preview", () => {
    const m = message({
      blocks: [
        { type: "thinking", text: "think about Needle" },
        { type: "text", text: "plain needle" },
        { type: "tool_use", id: "t1", name: "Bash" },
        { type: "tool_use", id: "t2", name: "Bash" },
      ],
      tool_calls: [
        call({ tool_use_id: "t1", input_json: '{"command":"grep needle"}', result_content: "nothing" }),
        call({ tool_use_id: "t2", call_index: 1, result_content: `${"x".repeat(50)}NEEDLE` }),
      ],
    });
    expect(blocksToOpen(m, parts(m), "needle", 20)).toEqual(["7:0", "7:2", "7:3", "7:3:all"]);
    expect(blocksToOpen(m, parts(m), "absent", 20)).toEqual([]);
  });

  it("finds every match in the rendered text, as ranges", () => {
    const root = document.createElement("div");
    root.innerHTML = "<p>One needle, <b>two Needle</b></p><pre>needleneedle</pre>";
    const found = rangesIn(root, matcher("needle") as RegExp).map((r) => r.toString());
    expect(found).toEqual(["needle", "Needle", "needle", "needle"]);
  });

  it("fetches a message's cut texts only when none of what the page holds matches", () => {
    const cut = (part: Cut["part"], extra: Partial<Cut> = {}): Cut => ({
      part, call_index: null, pointer: null, shown_chars: 10, total_chars: 100, url: "/x", ...extra,
    });
    const result = cut("tool_result", { call_index: 0 });
    const m = message({
      content: "the start of a long text",
      blocks: [{ type: "thinking", text: "a deep Thought" }],
      tool_calls: [call({ input_json: '{"command":"cat log"}', result_content: "line 0" })],
      cuts: [cut("content"), result],
    });
    // The match is past the cuts: every pending cut is fetched.
    expect(cutsHidingMatch(m, "TAILWORD")).toEqual([cut("content"), result]);
    // Shown already (in the text, a block's string, a tool input or result): nothing to fetch.
    for (const q of ["LONG TEXT", "thought", "cat log", "line 0"]) expect(cutsHidingMatch(m, q)).toEqual([]);
    // Nothing cut, or nothing asked: nothing to fetch.
    expect(cutsHidingMatch({ ...m, cuts: [] }, "TAILWORD")).toEqual([]);
    expect(cutsHidingMatch(m, " ")).toEqual([]);
  });

  it("reads a search snippet's first match back as the message's text", () => {
    expect(markedText("…call <mark>handleRequest</mark> then <mark>handle</mark>")).toBe("handleRequest");
    expect(markedText("a <mark>&lt;img src=&quot;x&quot;&gt; &amp; &#x27;q&#x27; &#39;r&#39;</mark>")).toBe(`<img src="x"> & 'q' 'r'`);
    expect(markedText("<mark>中文</mark>")).toBe("中文");
    expect(markedText("nothing marked")).toBeNull();
    expect(markedText("<mark></mark>")).toBeNull();
  });
});
