import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

// The built site goes into the Python package (viewer_fn/site/, not committed) so the local
// stack, the tests and `sam build` serve it: index.html at the root, every other file hashed
// under static/ (served with Cache-Control: immutable; see viewer_fn/static_files.py).
export default defineConfig({
  // Relative URLs: the page works under any path prefix (AV_BASE_PATH) and on any static host.
  base: "./",
  plugins: [svelte()],
  build: {
    outDir: "../viewer_fn/site",
    emptyOutDir: true,
    assetsDir: "static",
    // Every file must be hashed (immutable caching); never inline assets as data: URLs
    // (the CSP allows data: images only, and inlined fonts/scripts would be refused).
    assetsInlineLimit: 0,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
    rollupOptions: {
      output: {
        entryFileNames: "static/[name]-[hash].js",
        chunkFileNames: "static/[name]-[hash].js",
        assetFileNames: "static/[name]-[hash][extname]",
      },
    },
  },
  // Component tests mount Svelte components in jsdom: Svelte's browser build, not its server one.
  resolve: process.env.VITEST ? { conditions: ["browser"] } : undefined,
  test: {
    environment: "jsdom",
    include: ["tests/**/*.test.ts"],
  },
});
