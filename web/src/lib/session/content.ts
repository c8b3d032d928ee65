/** A message as parts to render: text, thinking and tool calls, in the order they happened.
 *
 * Structured `blocks` are used when the message has them; otherwise the flat `content` string
 * is split on the parsers' markers (`[Thinking]…[/Thinking]`, tool lines such as
 * `[Bash: …]`), which are then shown by their tool call rather than as raw text.
 */
import type { Cut, Message, ToolCall } from "../api/types";

/** A part whose text the API cut carries the cut (`cut`, or `inputCut`/`resultCut` of a tool
 * call): the view offers "Show all" for it (cuts.ts, wholeTexts.svelte.ts). */
export type Part =
  | { kind: "text"; text: string; cut?: Cut }
  | { kind: "thinking"; text: string; cut?: Cut }
  | { kind: "tool"; call: ToolCall | null; name: string; id: string | null; inputCut?: Cut; resultCut?: Cut };

function withCut<T extends object>(part: T, key: string, cut: Cut | undefined): T {
  return cut ? { ...part, [key]: cut } : part;
}

const THINKING = /\[Thinking\]\n?([\s\S]*?)\n?\[\/Thinking\]\n?/g;
// A tool marker line the parsers write: "[Name]" or "[Name: detail]", optionally followed by "$ cmd" lines.
const TOOL_LINE = /^\[([A-Za-z][\w.-]*)(?::[^\]\n]*)?\](?:\n\$ [^\n]*)*$/;

export function parts(message: Message): Part[] {
  const calls = message.tool_calls ?? [];
  const byId = new Map(calls.filter((c) => c.tool_use_id).map((c) => [c.tool_use_id as string, c]));
  const used = new Set<ToolCall>();
  const out: Part[] = [];
  const cuts = message.cuts ?? [];
  const blockCut = (i: number): Cut | undefined => cuts.find((c) => c.part === "block" && c.pointer === `/${i}/text`);

  if (message.blocks?.length) {
    for (const [i, block] of message.blocks.entries()) {
      if (block.type === "thinking" && typeof block.text === "string") out.push(withCut({ kind: "thinking", text: block.text }, "cut", blockCut(i)));
      else if (block.type === "text" && typeof block.text === "string") out.push(withCut({ kind: "text", text: block.text }, "cut", blockCut(i)));
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
    // The content was cut: its end (and "Show all") belongs to the last text it made.
    const contentCut = cuts.find((c) => c.part === "content");
    if (contentCut) {
      let last = out.length - 1;
      while (last >= 0 && out[last]?.kind === "tool") last--;
      const part = out[last];
      if (part && part.kind !== "tool") out[last] = { ...part, cut: contentCut };
      else out.push({ kind: "text", text: "", cut: contentCut });
    }
  }
  // Tool calls no block or marker pointed at are still shown.
  for (const call of calls) if (!used.has(call)) out.push({ kind: "tool", call, name: call.tool_name, id: call.tool_use_id });
  for (const [i, part] of out.entries()) {
    if (part.kind !== "tool" || !part.call) continue;
    const index = part.call.call_index;
    const input = cuts.find((c) => c.part === "tool_input" && c.call_index === index);
    const result = cuts.find((c) => c.part === "tool_result" && c.call_index === index);
    out[i] = withCut(withCut(part, "inputCut", input), "resultCut", result);
  }
  return out;
}

/** Plain text of a message for copying and Markdown export. */
export function plainText(message: Message): string {
  return message.content ?? "";
}
