/** Message text to safe HTML: CommonMark + GFM with marked, then DOMPurify.
 *
 * Session content is hostile. Raw HTML in a message is shown as text (escaped), never parsed;
 * links keep only http(s), mailto and in-page targets; images become links (loading one would
 * be a request chosen by the content); no style attribute survives (the CSP forbids inline
 * style, and a blocked one would be a violation report). DOMPurify runs last, as a second wall.
 */
import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";

const SAFE_LINK = /^(https?:|mailto:|#)/i;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function safeHref(href: string | null | undefined): string | null {
  if (!href) return null;
  const trimmed = href.trim();
  return SAFE_LINK.test(trimmed) ? trimmed : null;
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(token.text);
    },
    link(token: Tokens.Link): string {
      const text = this.parser.parseInline(token.tokens);
      const href = safeHref(token.href);
      if (!href) return text;
      return `<a href="${escapeHtml(href)}" rel="noopener noreferrer nofollow" target="_blank">${text}</a>`;
    },
    image(token: Tokens.Image): string {
      const href = safeHref(token.href);
      const label = escapeHtml(token.text || token.href);
      return href ? `<a href="${escapeHtml(href)}" rel="noopener noreferrer nofollow" target="_blank">[image: ${label}]</a>` : `[image: ${label}]`;
    },
    code(token: Tokens.Code): string {
      const lang = (token.lang ?? "").trim().split(/\s+/)[0] ?? "";
      const cls = lang ? ` class="language-${escapeHtml(lang.replace(/[^\w+#-]/g, ""))}"` : "";
      const label = lang ? `<span class="code-lang">${escapeHtml(lang)}</span>` : "";
      // tabindex: a code block wider than the message scrolls, and a scrolling box must take
      // keyboard focus (WCAG 2.1.1), or its end is out of reach without a mouse.
      return `<div class="code-block">${label}<pre tabindex="0"><code${cls}>${escapeHtml(token.text)}</code></pre></div>`;
    },
  },
});

const PURIFY_CONFIG = {
  FORBID_TAGS: ["style", "img", "svg", "math", "form", "input", "button", "iframe", "object", "embed", "video", "audio", "source", "picture"],
  FORBID_ATTR: ["style", "srcset", "src", "action", "formaction", "background", "poster"],
  ALLOW_DATA_ATTR: false,
};

/** Markdown's own DOMPurify instance, configured once (`setConfig`): given its config on every
 * call, DOMPurify parsed it again for each message (its allow-lists rebuilt: a few ms per screen
 * of messages). Its own instance, so the hook and config never apply to other callers (search
 * snippets use the shared one with theirs). */
let configured: ReturnType<typeof DOMPurify> | null = null;
function purifier(): ReturnType<typeof DOMPurify> {
  if (!configured) {
    const purify = DOMPurify(window);
    purify.setConfig(PURIFY_CONFIG);
    purify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A") {
        const href = node.getAttribute("href");
        if (href !== null && !safeHref(href)) node.removeAttribute("href");
        node.setAttribute("rel", "noopener noreferrer nofollow");
        node.setAttribute("target", "_blank");
      }
    });
    configured = purify;
  }
  return configured;
}

const cache = new Map<string, string>();
const CACHE_SIZE = 500;

/** Markdown to sanitized HTML (memoized: the same message renders again on every scroll). */
export function renderMarkdown(text: string): string {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const html = purifier().sanitize(marked.parse(text) as string);
  if (cache.size >= CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(text, html);
  return html;
}
