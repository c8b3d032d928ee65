import { describe, expect, it } from "vitest";
import type { Message, ToolCall } from "../src/lib/api/types";
import { parts } from "../src/lib/session/content";

function message(extra: Partial<Message>): Message {
  return {
    ordinal: 0, role: "assistant", content: "", blocks: null, timestamp: null, model: null, message_key: null,
    has_thinking: false, has_tool_use: false, is_system: false, content_length: 0, input_tokens: 0,
    output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, tool_calls: [], cuts: [], ...extra,
  };
}

function call(extra: Partial<ToolCall>): ToolCall {
  return {
    call_index: 0, tool_use_id: "", tool_name: "Bash", category: "bash", input_json: "{}", skill_name: null,
    result_content: null, result_length: null, result_truncated: false, result_is_error: false, subagent_session_id: null,
    ...extra,
  };
}

describe("parts", () => {
  it("follows structured blocks and pairs tool_use with its call by id", () => {
    const bash = call({ tool_use_id: "t1" });
    const m = message({
      blocks: [{ type: "thinking", text: "hmm" }, { type: "text", text: "Listing." }, { type: "tool_use", id: "t1", name: "Bash" }],
      tool_calls: [bash],
    });
    expect(parts(m)).toEqual([
      { kind: "thinking", text: "hmm" },
      { kind: "text", text: "Listing." },
      { kind: "tool", call: bash, name: "Bash", id: "t1" },
    ]);
  });

  it("splits flat content on the thinking and tool markers", () => {
    const bash = call({});
    const m = message({ content: "[Thinking]\nplan\n[/Thinking]\nI'll list.\n[Bash: List files]\n$ ls -la", tool_calls: [bash] });
    const got = parts(m);
    expect(got[0]).toEqual({ kind: "thinking", text: "plan" });
    expect(got[1]).toEqual({ kind: "text", text: "I'll list." });
    expect(got[2]).toMatchObject({ kind: "tool", call: bash });
    expect(got).toHaveLength(3);
  });

  it("keeps marker-looking text when no tool call backs it", () => {
    const got = parts(message({ content: "[Note: this is text]" }));
    expect(got).toEqual([{ kind: "text", text: "[Note: this is text]" }]);
  });

  it("shows tool calls that no block mentions", () => {
    const read = call({ tool_name: "Read" });
    const got = parts(message({ blocks: [{ type: "text", text: "x" }], tool_calls: [read] }));
    expect(got.at(-1)).toMatchObject({ kind: "tool", call: read });
  });
});
