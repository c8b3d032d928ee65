/** A message as parts to render: text, thinking and tool calls, in the order they happened.
 *
 * Structured `blocks` are used when the message has them; otherwise the flat `content` string
 * is split on the parsers' markers (`[Thinking]…[/Thinking]`, tool lines such as
 * `[Bash: …]`), which are then shown by their tool call rather than as raw text.
 */
import type { Message, ToolCall } from "../api/types";

export type Part =
  | { kind: "text"; text: string }
  | { kind: "thinking"; text: string }
  | { kind: "tool"; call: ToolCall | null; name: string; id: string | null };

const THINKING = /\[Thinking\]\n?([\s\S]*?)\n?\[\/Thinking\]\n?/g;
// A tool marker line the parsers write: "[Name]" or "[Name: detail]", optionally followed by "$ cmd" lines.
const TOOL_LINE = /^\[([A-Za-z][\w.-]*)(?::[^\]\n]*)?\](?:\n\$ [^\n]*)*$/;

export function parts(message: Message): Part[] {
  const calls = message.tool_calls ?? [];
  const byId = new Map(calls.filter((c) => c.tool_use_id).map((c) => [c.tool_use_id as string, c]));
  const used = new Set<ToolCall>();
  const out: Part[] = [];

  if (message.blocks?.length) {
    for (const block of message.blocks) {
      if (block.type === "thinking" && typeof block.text === "string") out.push({ kind: "thinking", text: block.text });
      else if (block.type === "text" && typeof block.text === "string") out.push({ kind: "text", text: block.text });
      else if (block.type === "tool_use") {
        const id = typeof block.id === "string" ? block.id : null;
        const call = (id && byId.get(id)) || calls.find((c) => !used.has(c) && c.tool_name === block.name) || null;
        if (call) used.add(call);
        out.push({ kind: "tool", call, name: call?.tool_name ?? String(block.name ?? "tool"), id });
      }
    }
  } else {
    let rest = message.content ?? "";
    rest = rest.replace(THINKING, (_, text: string) => {
      out.push({ kind: "thinking", text });
      return "";
    });
    let kept: string[] = [];
    const flush = (): void => {
      const text = kept.join("\n").trim();
      if (text) out.push({ kind: "text", text });
      kept = [];
    };
    for (const chunk of rest.split(/\n(?=\[)/)) {
      const name = calls.length ? TOOL_LINE.exec(chunk.trim())?.[1] : undefined;
      const call = name ? calls.find((c) => !used.has(c) && c.tool_name === name) : undefined;
      if (call) {
        used.add(call);
        flush();
        out.push({ kind: "tool", call, name: call.tool_name, id: call.tool_use_id });
      } else {
        kept.push(chunk);
      }
    }
    flush();
  }
  // Tool calls no block or marker pointed at are still shown.
  for (const call of calls) if (!used.has(call)) out.push({ kind: "tool", call, name: call.tool_name, id: call.tool_use_id });
  return out;
}

/** Plain text of a message for copying and Markdown export. */
export function plainText(message: Message): string {
  return message.content ?? "";
}
