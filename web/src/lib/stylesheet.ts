/** The page's one stylesheet, applied from the boot module rather than linked by index.html.
 *
 * A stylesheet linked in the HTML blocks every script of the page until it has loaded (module
 * scripts too): the boot module, whose first act is to start the first screen's data requests,
 * waited for it. So index.html only preloads it (`<link rel="preload" as="style">`, written by
 * web/vite.chunks.ts: fetched at once, blocking nothing), the boot module applies it once its
 * requests are on their way, and the app mounts when it has loaded: never unstyled.
 */
let ready: Promise<void> | null = null;

/** Applies the preloaded stylesheet (once); resolves when it has loaded (or failed to: an
 * unstyled page beats a blank one). Without a preload (the dev server) there is nothing to do. */
export function applyStylesheet(): Promise<void> {
  if (ready) return ready;
  const preload = document.querySelector<HTMLLinkElement>('link[rel="preload"][as="style"]');
  if (!preload) return (ready = Promise.resolve());
  const link = document.createElement("link");
  link.rel = "stylesheet";
  if (preload.crossOrigin !== null) link.crossOrigin = preload.crossOrigin;
  ready = new Promise((resolve) => {
    link.addEventListener("load", () => resolve(), { once: true });
    link.addEventListener("error", () => resolve(), { once: true });
  });
  link.href = preload.href;
  document.head.append(link);
  return ready;
}
