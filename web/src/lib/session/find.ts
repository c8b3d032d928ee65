/** In-session find, in the page: which collapsed blocks of a message hold the query (so the
 * current hit can be opened), and where the query is in the rendered text (so the match itself
 * is marked, not the whole message).
 *
 * The API answers which messages match (case-insensitive substring, `/sessions/{id}/search`);
 * the page finds the matches inside a message's rendered text and marks them with the CSS Custom
 * Highlight API: ranges over the existing text nodes, so nothing is added to the sanitized
 * Markdown and Svelte's DOM is left alone. A browser without it still steps and opens blocks.
 */
import type { Cut, Message } from "../api/types";
import type { Part } from "./content";

/** Names of the two highlights (styled in app.css with `::highlight(...)`). */
export const ALL = "av-find";
export const CURRENT = "av-find-current";

/** A case-insensitive matcher of the query as typed (no pattern syntax), or null for nothing. */
export function matcher(q: string): RegExp | null {
  const text = q.trim();
  if (!text) return null;
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "giu");
}

function holds(text: string | null | undefined, re: RegExp): boolean {
  re.lastIndex = 0;
  return !!text && re.test(text);
}

/** The keys (as the session page keeps them: `<ordinal>:<part>`, and `:all` for a tool result
 * shown whole) of the collapsed blocks of `message` that hold a match: thinking, and tool calls
 * whose input or result holds it; `:all` too when the result's match lies past its preview. */
export function blocksToOpen(message: Message, list: Part[], q: string, preview: number): string[] {
  const re = matcher(q);
  if (!re) return [];
  const keys: string[] = [];
  for (const [i, part] of list.entries()) {
    const key = `${message.ordinal}:${i}`;
    if (part.kind === "thinking" && holds(part.text, re)) keys.push(key);
    if (part.kind !== "tool" || !part.call) continue;
    const result = part.call.result_content ?? "";
    const inResult = holds(result, re);
    if (inResult || holds(part.call.input_json, re)) keys.push(key);
    if (inResult && result.length > preview && !holds(result.slice(0, preview), re)) keys.push(`${key}:all`);
  }
  return keys;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** The text of a search snippet's first match (the API escapes the snippet as HTML and wraps
 * matches in `<mark>`), as it stands in the message: what a search hit asks the session's find
 * for, so the block holding it opens and the match is marked. Null when nothing is marked. */
export function markedText(snippet: string): string | null {
  const inner = /<mark>([\s\S]*?)<\/mark>/.exec(snippet)?.[1];
  if (!inner) return null;
  return inner.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] !== "#") return ENTITIES[name.toLowerCase()] ?? whole;
    const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
  });
}

/** Every string in a message's structured blocks (where thinking and text blocks keep theirs). */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === "object") for (const v of Object.values(value)) strings(v, out);
  return out;
}

/** The cut texts of `message` to fetch before its match can be shown: every cut still pending
 * when the API said the message matches but nothing the page holds of it does — the match then
 * lies in the rest of a text the message page carried only the start of (docs/api.md, "Long
 * texts"). `message` is as the page shows it (fetched texts put back, their cuts gone). */
export function cutsHidingMatch(message: Message, q: string): Cut[] {
  const re = matcher(q);
  const pending = message.cuts ?? [];
  if (!re || !pending.length) return [];
  const held = [message.content, ...strings(message.blocks), ...message.tool_calls.flatMap((c) => [c.input_json, c.result_content])];
  return held.some((text) => holds(text, re)) ? [] : [...pending];
}

/** Ranges over every match of `re` in the text under `root`, in document order. A match that
 * Markdown split across elements (half of it bold, say) is not found; the message still is. */
export function rangesIn(root: Node, re: RegExp): Range[] {
  const out: Range[] = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue ?? "";
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (!m[0]) break;
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      out.push(range);
    }
  }
  return out;
}

/** Shows `all` as matches and `current` as the current one; no ranges clears them. */
export function paint(all: Range[], current: Range | null): void {
  if (typeof CSS === "undefined" || !("highlights" in CSS)) return;
  CSS.highlights.set(ALL, new Highlight(...all));
  CSS.highlights.set(CURRENT, current ? new Highlight(current) : new Highlight());
}

/** Scrolls `range` into view: first inside every scrolling box that holds it below `root` (a long
 * tool result shown whole scrolls in its own box, and a match at its end was hidden there), then
 * `root` itself, putting it a third of the way down. Nothing moves when it is in view already. */
export function bringIntoView(root: HTMLElement, range: Range): void {
  const outOf = (view: DOMRect): boolean => {
    const box = range.getBoundingClientRect();
    return box.height > 0 && (box.top < view.top || box.bottom > view.bottom);
  };
  const start = range.startContainer;
  for (let el = start instanceof Element ? start : start.parentElement; el && el !== root; el = el.parentElement) {
    const scrolls = el.scrollHeight > el.clientHeight && /auto|scroll/.test(getComputedStyle(el).overflowY);
    if (scrolls && outOf(el.getBoundingClientRect())) {
      el.scrollTop += range.getBoundingClientRect().top - el.getBoundingClientRect().top - el.clientHeight / 3;
    }
  }
  if (outOf(root.getBoundingClientRect())) root.scrollTop += range.getBoundingClientRect().top - root.getBoundingClientRect().top - root.clientHeight / 3;
}
