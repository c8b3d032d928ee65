/** Texts the API cut in a message page (`Message.cuts`), and the message with them made whole.
 *
 * A page carries at most 65,536 characters of any one text; the rest comes from the ranged text
 * route (docs/api.md, "Long texts"). A cut names the text by `part` (content, tool_input and
 * tool_result of a call, a string inside `blocks` at a JSON pointer, or all of `blocks` as JSON),
 * and the message holds its first `shown_chars` characters. `withWhole` puts fetched texts back
 * where they belong, so the rest of the page renders a whole message like any other.
 */
import type { Cut, Message } from "../api/types";
import { grouped } from "../format";

/** Identifies one text of one message at one length (a longer text after a live refresh is another). */
export function cutKey(ordinal: number, cut: Cut): string {
  return `${ordinal}|${cut.part}|${cut.call_index ?? ""}|${cut.pointer ?? ""}|${cut.total_chars}`;
}

/** The start of the cut text that the message itself carries. */
export function shownText(message: Message, cut: Cut): string {
  switch (cut.part) {
    case "content":
      return message.content ?? "";
    case "tool_input":
      return message.tool_calls.find((c) => c.call_index === cut.call_index)?.input_json ?? "";
    case "tool_result":
      return message.tool_calls.find((c) => c.call_index === cut.call_index)?.result_content ?? "";
    case "block": {
      const value = atPointer(message.blocks, cut.pointer ?? "");
      return typeof value === "string" ? value : "";
    }
    case "blocks":
      return "";
  }
}

function tokens(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function atPointer(root: unknown, pointer: string): unknown {
  let node = root;
  for (const token of tokens(pointer)) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

/** A copy of `root` with the string at `pointer` replaced (containers on the way are copied). */
function replaceAt(root: unknown, path: readonly string[], value: string): unknown {
  if (!path.length) return value;
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(root)) {
    const copy = root.slice();
    const i = Number(head);
    if (Number.isInteger(i) && i >= 0 && i < copy.length) copy[i] = replaceAt(copy[i], rest, value);
    return copy;
  }
  if (root !== null && typeof root === "object") {
    const copy = { ...(root as Record<string, unknown>) };
    if (head in copy) copy[head] = replaceAt(copy[head], rest, value);
    return copy;
  }
  return root;
}

/** The message with every cut text that `whole` knows put back in full; those cuts are dropped.
 * Returns the same object when nothing is known, so views keyed on identity stay cheap. */
export function withWhole(message: Message, whole: (cut: Cut) => string | undefined): Message {
  const cuts = message.cuts ?? [];
  if (!cuts.length) return message;
  const known = cuts.map((cut) => [cut, whole(cut)] as const).filter((pair): pair is readonly [Cut, string] => pair[1] !== undefined);
  if (!known.length) return message;
  let out: Message = { ...message, cuts: cuts.filter((c) => whole(c) === undefined) };
  // "blocks" first: the other block cuts point into blocks that only it brings.
  for (const [cut, text] of [...known].sort((a, b) => Number(b[0].part === "blocks") - Number(a[0].part === "blocks"))) {
    switch (cut.part) {
      case "content":
        out = { ...out, content: text };
        break;
      case "tool_input":
      case "tool_result": {
        const field = cut.part === "tool_input" ? "input_json" : "result_content";
        out = { ...out, tool_calls: out.tool_calls.map((c) => (c.call_index === cut.call_index ? { ...c, [field]: text } : c)) };
        break;
      }
      case "block":
        if (out.blocks) out = { ...out, blocks: replaceAt(out.blocks, tokens(cut.pointer ?? ""), text) as Message["blocks"] };
        break;
      case "blocks":
        try {
          const parsed: unknown = JSON.parse(text);
          if (Array.isArray(parsed)) out = { ...out, blocks: parsed as Message["blocks"] };
        } catch {
          /* not JSON after all: the content stands in for the blocks, as before */
        }
        break;
    }
  }
  return out;
}

/** How big a whole text is, for the Show-all button ("1,048,576 characters"). */
export function sizeLabel(chars: number): string {
  return `${grouped(chars)} ${chars === 1 ? "character" : "characters"}`;
}

/** How much of a tool result shows until "Show all" (the rest may still be on the server). */
export const RESULT_PREVIEW = 2_000;
