/** How the built page is cut into files, so the first screen needs few requests, started early.
 *
 * - the **boot** entry (src/boot.ts and what it imports, a few KB): starts the first screen's
 *   requests the moment the HTML is parsed;
 * - the **app** (src/main.ts, Svelte, the shell, the session list and the home view, with every
 *   module they import that the boot entry does not have): one file, which the boot entry asks
 *   for right after the first screen's data;
 * - the **session** view (its page, Markdown, DOMPurify, diffs): one file, which the boot entry
 *   asks for on a session link, with the app's;
 * - everything else (search, analytics and Chart.js, highlight.js) as the bundler splits it,
 *   loaded when used.
 *
 * Without this the same code came in about 12 files, most of a few hundred bytes, each a request
 * (six at a time per server over HTTP/1.1) found only after the file importing it had run.
 */
import type { Plugin } from "vite";

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

/** Turns index.html's stylesheet link into a preload (the boot module applies it, src/lib/stylesheet.ts):
 * a linked stylesheet holds every script of the page back until it has loaded.
 *
 * The app's and the session view's chunks are deliberately **not** preloaded (index.html names
 * only the boot entry and what it imports statically): the boot module asks for them itself,
 * right after the first screen's data. Preloaded (`<link rel="modulepreload">`, as in sessions
 * 5-7), a module is compiled as soon as its bytes are in, and from the HTTP cache (a returning
 * reader: the common case) they are in at once and compiled on the main thread, whole (they
 * carry V8's compile hint): ~100 ms of compiling in a trace, queued ahead of the boot module,
 * which then asked for the deep link's data only at ~265 ms. Asked for by the boot module, the
 * data leaves first and the code compiles while it travels; on the list, the session view's
 * 40 KB are not fetched at all. Measured: docs/web.md, "Session 8". */
export function preloadStylesheet(): Plugin {
  return {
    name: "av-preload-stylesheet",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(html) {
        const linked = /<link rel="stylesheet"( crossorigin)? href="([^"]+\.css)">/g;
        if (!linked.test(html)) throw new Error("index.html links no stylesheet to preload");
        return html.replace(linked, '<link rel="preload" as="style"$1 href="$2">');
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
