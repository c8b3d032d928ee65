/** The rest of the texts the API cut, fetched on demand ("Show all"), in ranges.
 *
 * Kept per session by the session page, outside the virtualized rows: a row scrolled away and
 * back, or re-read by a live refresh, shows the whole text again without fetching it twice. A
 * text is fetched range after range (the API's largest, 524,288 characters) from where the page
 * stopped; progress is visible while it comes. Keys carry the text's total length, so a text that
 * grew in a live refresh is fetched anew rather than shown stale.
 */
import { SvelteMap } from "svelte/reactivity";
import * as api from "../api/endpoints";
import type { Cut, Message } from "../api/types";
import { cutKey, shownText, withWhole } from "./cuts";

export interface Loading {
  /** Characters (code points) held so far, of `total`. */
  loaded: number;
  total: number;
  error: string;
}

/** Every range of one cut text after the part the message holds, appended to it. */
export async function fetchWhole(
  sessionId: string,
  ordinal: number,
  cut: Cut,
  start: string,
  onProgress: (loaded: number) => void = () => {},
  signal?: AbortSignal,
): Promise<string> {
  const pieces = [start];
  let offset: number | null = cut.shown_chars;
  // A guard against a server that never ends: far more ranges than any text needs.
  for (let guard = 0; offset !== null && guard < 10_000; guard++) {
    const range = await api.textRange(sessionId, ordinal, cut, offset, signal);
    if (range.offset !== offset || range.total_chars !== cut.total_chars) {
      throw new Error("this text changed while it loaded; reload the session to see it whole");
    }
    pieces.push(range.text);
    offset = range.next_offset;
    onProgress(offset ?? cut.total_chars);
  }
  return pieces.join("");
}

export class WholeTexts {
  readonly sessionId: string;
  private texts = new SvelteMap<string, string>();
  private loading = new SvelteMap<string, Loading>();
  private running = new Map<string, Promise<string>>();

  constructor(sessionId: string) {
    this.sessionId = sessionId;
  }

  /** The whole text for this cut, when fetched. */
  get(ordinal: number, cut: Cut): string | undefined {
    return this.texts.get(cutKey(ordinal, cut));
  }

  /** Progress (or the error) of a fetch under way for this cut. */
  progress(ordinal: number, cut: Cut): Loading | undefined {
    return this.loading.get(cutKey(ordinal, cut));
  }

  /** The message with every text fetched so far made whole. */
  apply(message: Message): Message {
    return withWhole(message, (cut) => this.get(message.ordinal, cut));
  }

  /** Fetches the rest of one cut text (once, however often it is asked for). */
  load(message: Message, cut: Cut): Promise<string> {
    const key = cutKey(message.ordinal, cut);
    const have = this.texts.get(key);
    if (have !== undefined) return Promise.resolve(have);
    const running = this.running.get(key);
    if (running) return running;
    const start = shownText(message, cut);
    this.loading.set(key, { loaded: cut.shown_chars, total: cut.total_chars, error: "" });
    const task = fetchWhole(this.sessionId, message.ordinal, cut, start, (loaded) => {
      this.loading.set(key, { loaded, total: cut.total_chars, error: "" });
    })
      .then((text) => {
        this.texts.set(key, text);
        this.loading.delete(key);
        return text;
      })
      .catch((err: unknown) => {
        const error = err instanceof Error ? err.message : String(err);
        this.loading.set(key, { loaded: this.loading.get(key)?.loaded ?? 0, total: cut.total_chars, error });
        throw err;
      })
      .finally(() => this.running.delete(key));
    this.running.set(key, task);
    return task;
  }
}

/** A message with every cut text fetched (for export), without keeping the texts in the page. */
export async function wholeMessage(sessionId: string, message: Message): Promise<Message> {
  if (!message.cuts?.length) return message;
  const found = new Map<Cut, string>();
  for (const cut of message.cuts) {
    found.set(cut, await fetchWhole(sessionId, message.ordinal, cut, shownText(message, cut)));
  }
  return withWhole(message, (cut) => found.get(cut));
}
