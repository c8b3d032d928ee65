/** How the built page is cut into files, so the first screen needs few requests, started early.
 *
 * - the **boot** entry (src/boot.ts and what it imports, a few KB): starts the first screen's
 *   requests the moment the HTML is parsed;
 * - the **app** (src/main.ts, Svelte, the shell, the session list and the home view, with every
 *   module they import that the boot entry does not have): one file, which index.html asks for
 *   with `<link rel="modulepreload">` beside the boot entry instead of after it;
 * - the **session** view (its page, Markdown, DOMPurify, diffs): one file, which the boot entry
 *   asks for on a session link;
 * - everything else (search, analytics and Chart.js, highlight.js) as the bundler splits it,
 *   loaded when used.
 *
 * Without this the same code came in about 12 files, most of a few hundred bytes, each a request
 * (six at a time per server over HTTP/1.1) found only after the file importing it had run.
 */
import type { HtmlTagDescriptor, Plugin } from "vite";

interface ModuleGraph {
  getModuleInfo(id: string): { importedIds: readonly string[] } | null;
}

/** The modules `start` imports statically, directly or not, leaving out those in `stop`. */
function reach(graph: ModuleGraph, start: readonly string[], stop: ReadonlySet<string>): Set<string> {
  const seen = new Set<string>();
  const todo = [...start];
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
    if (seen.has(id) || stop.has(id)) continue;
    seen.add(id);
    todo.push(...(graph.getModuleInfo(id)?.importedIds ?? []));
  }
  return seen;
}

export interface FirstScreen {
  /** The page's entry module. */
  boot: string;
  /** The modules of the app's chunk (with what they import). */
  app: readonly string[];
  /** The modules of the session view's chunk (with what they import that the app has not). */
  session: readonly string[];
}

/** A `codeSplitting` group name function: "app" or "session" for their modules, null (the
 * bundler's choice) for the rest. Computed once per build from the module graph. */
export function firstScreenChunks(entries: FirstScreen): (id: string, graph: ModuleGraph) => string | null {
  let plan: Map<string, string> | null = null;
  return (id, graph) => {
    if (plan === null) {
      plan = new Map();
      const boot = reach(graph, [entries.boot], new Set());
      const app = reach(graph, entries.app, boot);
      for (const m of app) plan.set(m, "app");
      for (const m of reach(graph, entries.session, new Set([...boot, ...app]))) plan.set(m, "session");
    }
    return plan.get(id) ?? null;
  };
}

/** Adds `<link rel="modulepreload">` to index.html for the chunk holding `appModule` and the
 * chunks it imports (not the entry), so they download in parallel with the boot entry; turns
 * the stylesheet's link into a preload (applied by the boot module). */
export function preloadApp(appModule: string): Plugin {
  return {
    name: "av-preload-app",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(html, ctx) {
        const bundle = ctx.bundle;
        if (!bundle) return [];
        const chunks = Object.values(bundle).flatMap((c) => (c.type === "chunk" ? [c] : []));
        const app = chunks.find((c) => c.moduleIds.includes(appModule));
        if (!app) throw new Error(`no chunk holds ${appModule}`);
        const entry = new Set(chunks.filter((c) => c.isEntry).map((c) => c.fileName));
        const files = [app.fileName, ...app.imports.filter((f) => !entry.has(f))];
        const tags = files.map(
          (file): HtmlTagDescriptor => ({
            tag: "link",
            attrs: { rel: "modulepreload", crossorigin: true, href: `./${file}` },
            injectTo: "head",
          }),
        );
        // The stylesheet is preloaded, not linked: a linked one holds the page's scripts back
        // until it has loaded. The boot module applies it (src/lib/stylesheet.ts).
        const linked = /<link rel="stylesheet"( crossorigin)? href="([^"]+\.css)">/g;
        if (!linked.test(html)) throw new Error("index.html links no stylesheet to preload");
        return { html: html.replace(linked, '<link rel="preload" as="style"$1 href="$2">'), tags };
      },
    },
  };
}
