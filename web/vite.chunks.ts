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

/** Adds `<link rel="modulepreload">` to index.html for the chunks holding `modules` (the app and
 * the session view) and the chunks they import (not the entry), so they download in parallel
 * with the boot entry; turns the stylesheet's link into a preload (applied by the boot module).
 *
 * The session view is preloaded on every first visit, not only on a session link (which
 * index.html cannot tell: the route is in the URL's fragment, never sent to the server). On a
 * deep link its code then arrives with the app's, ~80 ms before the boot module could ask for
 * it, and is compiled while the data is on its way; on the list it is the code of the first
 * click. Measured (docs/web.md, session 7): the list's main thread did the same work, its paint
 * came no later, for 40 KB more compressed JavaScript. */
export function preloadFirstScreen(modules: readonly string[]): Plugin {
  return {
    name: "av-preload-first-screen",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(html, ctx) {
        const bundle = ctx.bundle;
        if (!bundle) return [];
        const chunks = Object.values(bundle).flatMap((c) => (c.type === "chunk" ? [c] : []));
        const entry = new Set(chunks.filter((c) => c.isEntry).map((c) => c.fileName));
        const files: string[] = [];
        for (const module of modules) {
          const chunk = chunks.find((c) => c.moduleIds.includes(module));
          if (!chunk) throw new Error(`no chunk holds ${module}`);
          for (const file of [chunk.fileName, ...chunk.imports]) if (!entry.has(file) && !files.includes(file)) files.push(file);
        }
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

/** The magic comment that tells V8 every function of a script runs when it loads (V8's
 * "explicit compile hints", Chromium 136 and newer; other engines read a comment). */
export const COMPILE_ALL = "//# allFunctionsCalledOnLoad";

/** `output.postBanner` for the first screen's chunks (the boot entry, the app, the session view):
 * {@link COMPILE_ALL}. V8 compiles a script's functions lazily, on the main thread, at their
 * first call: for these chunks, whose code nearly all runs before the first paint, that was
 * compile work in the chain from the code arriving to the page drawing. Marked, they are
 * compiled whole on a background thread while they download. A post-banner, since the minifier
 * drops comments (a plugin's `renderChunk` or a `banner` is minified away), and it counts in the
 * file's hash (one added in `generateBundle` would not: a changed file under an old name). The
 * other chunks are left lazy: compiled whole, code that may never run would cost a core. */
export function compileHint(chunkNames: readonly string[]): (chunk: { name: string; isEntry: boolean }) => string {
  const names = new Set(chunkNames);
  return (chunk) => (chunk.isEntry || names.has(chunk.name) ? COMPILE_ALL : "");
}
