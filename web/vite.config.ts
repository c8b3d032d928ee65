import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";
import { compileHint, firstScreenChunks, preloadFirstScreen } from "./vite.chunks.ts";

const src = (path: string): string => decodeURIComponent(new URL(`./src/${path}`, import.meta.url).pathname);

// The built site goes into the Python package (viewer_fn/site/, not committed) so the local
// stack, the tests and `sam build` serve it: index.html at the root, every other file hashed
// under static/ (served with Cache-Control: immutable; see viewer_fn/static_files.py).
export default defineConfig(({ mode }) => ({
  // Relative URLs: the page works under any path prefix (AV_BASE_PATH) and on any static host.
  base: "./",
  plugins: [svelte(), preloadFirstScreen([src("main.ts"), src("routes/session/SessionPage.svelte")])],
  build: {
    outDir: "../viewer_fn/site",
    emptyOutDir: true,
    assetsDir: "static",
    // Every file must be hashed (immutable caching); never inline assets as data: URLs
    // (the CSP allows data: images only, and inlined fonts/scripts would be refused).
    assetsInlineLimit: 0,
    // One stylesheet for every view (about 6 KB compressed), preloaded by index.html and applied
    // by the boot module: loaded with the page instead of one more request per view's chunk.
    cssCodeSplit: false,
    // Every browser the page supports (ES2022 modules) knows <link rel="modulepreload">.
    modulePreload: { polyfill: false },
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
    rollupOptions: {
      output: {
        // V8 compiles the first screen's code while it downloads (vite.chunks.ts).
        postBanner: compileHint(["app", "session"]),
        entryFileNames: "static/[name]-[hash].js",
        chunkFileNames: "static/[name]-[hash].js",
        assetFileNames: "static/[name]-[hash][extname]",
        // The first screen in three files: the boot entry, the app, the session view (vite.chunks.ts).
        codeSplitting: {
          includeDependenciesRecursively: false,
          groups: [{ debugName: "first screen", name: firstScreenChunks({ boot: src("boot.ts"), app: [src("main.ts"), src("routes/sessions/Home.svelte")], session: [src("routes/session/SessionPage.svelte")] }) }],
        },
      },
    },
  },
  // Component tests mount Svelte components in jsdom: Svelte's browser build, not its server one.
  resolve: mode === "test" ? { conditions: ["browser"] } : undefined,
  test: {
    environment: "jsdom",
    include: ["tests/**/*.test.ts"],
  },
}));
