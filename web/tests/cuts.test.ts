import { describe, expect, it } from "vitest";
import type { Cut, Message, ToolCall } from "../src/lib/api/types";
import { parts } from "../src/lib/session/content";
import { cutKey, shownText, sizeLabel, withWhole } from "../src/lib/session/cuts";

function message(extra: Partial<Message>): Message {
  return {
    ordinal: 3, role: "assistant", content: "", blocks: null, timestamp: null, model: null, message_key: null,
    has_thinking: false, has_tool_use: false, is_system: false, content_length: 0, input_tokens: 0,
    output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, tool_calls: [], cuts: [], ...extra,
  };
}

function call(extra: Partial<ToolCall>): ToolCall {
  return {
    call_index: 0, tool_use_id: "t0", tool_name: "Bash", category: "bash", input_json: "{}", skill_name: null,
    result_content: null, result_length: null, result_truncated: false, result_is_error: false, subagent_session_id: null,
    ...extra,
  };
}

function cut(part: Cut["part"], extra: Partial<Cut> = {}): Cut {
  return { part, call_index: null, pointer: null, shown_chars: 4, total_chars: 10, url: "", ...extra };
}

describe("withWhole", () => {
  it("puts each fetched text back where its cut points and drops those cuts", () => {
    const result = cut("tool_result", { call_index: 1 });
    const input = cut("tool_input", { call_index: 0 });
    const block = cut("block", { pointer: "/1/text" });
    const content = cut("content");
    const m = message({
      content: "abcd",
      blocks: [{ type: "thinking", text: "hm" }, { type: "text", text: "wxyz" }],
      tool_calls: [call({ call_index: 0, input_json: '{"a' }), call({ call_index: 1, result_content: "1234" })],
      cuts: [content, block, input, result],
    });
    const whole = new Map<Cut, string>([
      [content, "abcdefghij"],
      [block, "wxyz567890"],
      [result, "1234567890"],
    ]);
    const got = withWhole(m, (c) => whole.get(c));
    expect(got.content).toBe("abcdefghij");
    expect(got.blocks?.[1]).toEqual({ type: "text", text: "wxyz567890" });
    expect(got.blocks?.[0]).toEqual({ type: "thinking", text: "hm" });
    expect(got.tool_calls[1]?.result_content).toBe("1234567890");
    expect(got.tool_calls[0]?.input_json).toBe('{"a'); // not fetched: still cut
    expect(got.cuts).toEqual([input]);
    // the page's message is not changed
    expect(m.content).toBe("abcd");
    expect((m.blocks?.[1] as { text: string }).text).toBe("wxyz");
  });

  it("returns the same message when nothing is known", () => {
    const m = message({ cuts: [cut("content")] });
    expect(withWhole(m, () => undefined)).toBe(m);
  });

  it("follows escaped JSON pointers into nested blocks", () => {
    const c = cut("block", { pointer: "/0/input/a~1b~0c" });
    const m = message({ blocks: [{ type: "tool_use", input: { "a/b~c": "xyz" } }], cuts: [c] });
    expect(shownText(m, c)).toBe("xyz");
    const got = withWhole(m, () => "xyz and the rest");
    expect(got.blocks?.[0]).toEqual({ type: "tool_use", input: { "a/b~c": "xyz and the rest" } });
  });

  it("brings back blocks the page sent as null", () => {
    const c = cut("blocks", { shown_chars: 0 });
    const m = message({ content: "x", cuts: [c] });
    const got = withWhole(m, () => JSON.stringify([{ type: "text", text: "whole" }]));
    expect(got.blocks).toEqual([{ type: "text", text: "whole" }]);
    expect(got.cuts).toEqual([]);
  });
});

describe("parts with cuts", () => {
  it("marks the block text, the tool input and the tool result the page cut", () => {
    const b = cut("block", { pointer: "/0/text" });
    const r = cut("tool_result", { call_index: 0 });
    const m = message({
      blocks: [{ type: "text", text: "long" }, { type: "tool_use", id: "t0", name: "Bash" }],
      tool_calls: [call({ result_content: "out" })],
      cuts: [b, r],
    });
    const got = parts(m);
    expect(got[0]).toEqual({ kind: "text", text: "long", cut: b });
    expect(got[1]).toMatchObject({ kind: "tool", resultCut: r });
    expect(got[1]).not.toHaveProperty("inputCut");
  });

  it("gives a cut content's bar to the last text it made, or to an empty text", () => {
    const c = cut("content");
    expect(parts(message({ content: "hello", cuts: [c] }))).toEqual([{ kind: "text", text: "hello", cut: c }]);
    const onlyTool = parts(message({ content: "[Bash: x]", tool_calls: [call({})], cuts: [c] }));
    expect(onlyTool.at(-1)).toEqual({ kind: "text", text: "", cut: c });
  });
});

describe("labels and keys", () => {
  it("says how big the whole text is", () => {
    expect(sizeLabel(1_048_576)).toBe("1,048,576 characters");
    expect(sizeLabel(1)).toBe("1 character");
  });

  it("keys a text by its length too, so a grown text is fetched again", () => {
    expect(cutKey(3, cut("content"))).not.toBe(cutKey(3, cut("content", { total_chars: 11 })));
  });
});
