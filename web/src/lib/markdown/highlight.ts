/** Syntax highlighting with highlight.js, loaded on first use (its own chunk, off the first
 * screen). It writes only spans with classes, so the CSP holds; colours are in app.css.
 */
type HljsApi = typeof import("highlight.js/lib/common").default;
let loading: Promise<HljsApi> | null = null;

function hljs(): Promise<HljsApi> {
  loading ??= import("highlight.js/lib/common").then((m) => m.default);
  return loading;
}

const MAX_HIGHLIGHT = 50_000;

/** Svelte action: highlights every `pre code[class^=language-]` inside the node. */
export function highlight(node: HTMLElement, _content?: unknown): { update: () => void } {
  const run = (): void => {
    const blocks = [...node.querySelectorAll<HTMLElement>("pre code[class*='language-']")].filter(
      (el) => !el.dataset.highlighted && (el.textContent?.length ?? 0) <= MAX_HIGHLIGHT,
    );
    if (!blocks.length) return;
    void hljs().then((h) => {
      for (const el of blocks) {
        const lang = /language-([\w+#-]+)/.exec(el.className)?.[1];
        if (!el.isConnected || !lang || !h.getLanguage(lang)) continue;
        el.innerHTML = h.highlight(el.textContent ?? "", { language: lang, ignoreIllegals: true }).value;
        el.dataset.highlighted = "yes";
      }
    });
  };
  run();
  return { update: run };
}
