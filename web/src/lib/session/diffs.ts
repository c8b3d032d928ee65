/** File-changing tool calls as line diffs: Claude's Edit, MultiEdit and Write, Codex's apply_patch.
 * Returns null when the call is not one of them (or its input is not what they send).
 */
import { diffLines } from "diff";
import type { ToolCall } from "../api/types";

export type DiffLine = { op: "add" | "del" | "ctx" | "hunk"; text: string };
export interface FileDiff {
  path: string;
  lines: DiffLine[];
  added: number;
  removed: number;
}

function lines(text: string): string[] {
  const split = text.split("\n");
  if (split.length > 1 && split[split.length - 1] === "") split.pop();
  return split;
}

function fromStrings(oldText: string, newText: string): DiffLine[] {
  const out: DiffLine[] = [];
  for (const change of diffLines(oldText, newText)) {
    const op = change.added ? "add" : change.removed ? "del" : "ctx";
    for (const text of lines(change.value)) out.push({ op, text });
  }
  return out;
}

function counted(path: string, diffLines: DiffLine[]): FileDiff {
  return {
    path,
    lines: diffLines,
    added: diffLines.filter((l) => l.op === "add").length,
    removed: diffLines.filter((l) => l.op === "del").length,
  };
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** Codex's patch format: "*** Begin Patch", "*** Update File: p", "@@", "+x", "-y", " z". */
export function parseApplyPatch(patch: string): FileDiff[] {
  const files: FileDiff[] = [];
  let current: { path: string; lines: DiffLine[] } | null = null;
  const done = (): void => {
    if (current) files.push(counted(current.path, current.lines));
    current = null;
  };
  for (const line of patch.split("\n")) {
    const header = /^\*\*\* (Add|Update|Delete) File: (.*)$/.exec(line);
    if (header) {
      done();
      current = { path: `${header[2] ?? ""}${header[1] === "Delete" ? " (deleted)" : header[1] === "Add" ? " (new)" : ""}`, lines: [] };
      continue;
    }
    if (line.startsWith("*** ")) {
      const moved = /^\*\*\* Move to: (.*)$/.exec(line);
      if (moved && current) current.path += ` → ${moved[1] ?? ""}`;
      continue;
    }
    if (!current) continue;
    if (line.startsWith("@@")) current.lines.push({ op: "hunk", text: line });
    else if (line.startsWith("+")) current.lines.push({ op: "add", text: line.slice(1) });
    else if (line.startsWith("-")) current.lines.push({ op: "del", text: line.slice(1) });
    else current.lines.push({ op: "ctx", text: line.startsWith(" ") ? line.slice(1) : line });
  }
  done();
  return files;
}

export function toolDiff(call: ToolCall): FileDiff[] | null {
  let input: unknown;
  try {
    input = JSON.parse(call.input_json ?? "null");
  } catch {
    input = call.input_json;
  }
  const name = call.tool_name;
  const obj = typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {};
  if (name === "Edit" && typeof obj.old_string === "string" && typeof obj.new_string === "string") {
    return [counted(str(obj.file_path), fromStrings(obj.old_string, obj.new_string))];
  }
  if (name === "MultiEdit" && Array.isArray(obj.edits)) {
    const all: DiffLine[] = [];
    obj.edits.forEach((edit: unknown, i: number) => {
      const e = (typeof edit === "object" && edit !== null ? edit : {}) as Record<string, unknown>;
      all.push({ op: "hunk", text: `@@ edit ${i + 1} of ${obj.edits instanceof Array ? obj.edits.length : 0}` });
      all.push(...fromStrings(str(e.old_string), str(e.new_string)));
    });
    return [counted(str(obj.file_path), all)];
  }
  if (name === "Write" && typeof obj.content === "string") {
    return [counted(str(obj.file_path), lines(obj.content).map((text) => ({ op: "add" as const, text })))];
  }
  if (name === "apply_patch") {
    const patch = typeof input === "string" ? input : str(obj.input) || str(obj.patch);
    if (patch.includes("*** Begin Patch")) return parseApplyPatch(patch);
  }
  return null;
}
