import { describe, expect, it } from "vitest";
import type { ToolCall } from "../src/lib/api/types";
import { toolDiff } from "../src/lib/session/diffs";

const call = (tool_name: string, input: unknown): ToolCall => ({
  call_index: 0, tool_use_id: "", tool_name, category: "", input_json: typeof input === "string" ? input : JSON.stringify(input),
  skill_name: null, result_content: null, result_length: null, result_truncated: false, result_is_error: false, subagent_session_id: null,
});

describe("toolDiff", () => {
  it("shows an Edit as removed and added lines", () => {
    const d = toolDiff(call("Edit", { file_path: "a.py", old_string: "x = 1\ny = 2\n", new_string: "x = 1\ny = 3\n" }));
    expect(d?.[0]?.path).toBe("a.py");
    expect(d?.[0]?.lines).toEqual([
      { op: "ctx", text: "x = 1" },
      { op: "del", text: "y = 2" },
      { op: "add", text: "y = 3" },
    ]);
    expect([d?.[0]?.added, d?.[0]?.removed]).toEqual([1, 1]);
  });

  it("shows each edit of a MultiEdit under its own hunk", () => {
    const d = toolDiff(call("MultiEdit", { file_path: "b.ts", edits: [{ old_string: "a", new_string: "b" }, { old_string: "c", new_string: "d" }] }));
    expect(d?.[0]?.lines.filter((l) => l.op === "hunk")).toHaveLength(2);
    expect(d?.[0]?.added).toBe(2);
  });

  it("shows a Write as all added", () => {
    const d = toolDiff(call("Write", { file_path: "new.md", content: "# T\nbody\n" }));
    expect(d?.[0]?.lines).toEqual([{ op: "add", text: "# T" }, { op: "add", text: "body" }]);
  });

  it("parses Codex apply_patch with several files", () => {
    const patch = "*** Begin Patch\n*** Update File: src/a.rs\n@@ fn main\n-let a = 1;\n+let a = 2;\n ctx\n*** Add File: b.txt\n+hello\n*** End Patch";
    const d = toolDiff(call("apply_patch", { input: patch }));
    expect(d?.map((f) => f.path)).toEqual(["src/a.rs", "b.txt (new)"]);
    expect(d?.[0]?.lines).toEqual([
      { op: "hunk", text: "@@ fn main" },
      { op: "del", text: "let a = 1;" },
      { op: "add", text: "let a = 2;" },
      { op: "ctx", text: "ctx" },
    ]);
  });

  it("leaves other tools alone", () => {
    expect(toolDiff(call("Bash", { command: "ls" }))).toBeNull();
    expect(toolDiff(call("Edit", "not json"))).toBeNull();
  });
});
