/** User Timing marks (`performance.mark`) at the steps of the page's way to its first screen,
 * named `av:<step>`. They cost a few microseconds and change nothing the page does; the
 * benchmark's `--timeline` (bench/web_bench.py) prints them beside the requests, which is how
 * the chain from the HTML to a deep link's paint was taken apart (docs/web.md, "Where a deep
 * link's time goes"). Anyone can read them in the browser's performance panel too.
 */
export type Step =
  /** The boot module runs: the first screen's requests are about to leave. */
  | "boot"
  /** A deep link's own data (its session and message page) has answered, or failed. */
  | "data"
  /** The app's chunk has been evaluated (main.ts runs). */
  | "app"
  /** The current view's code has loaded. */
  | "view-code"
  /** The app mounts (the shell and the view, in one task). */
  | "mount"
  /** A deep link's view has scrolled to its message. */
  | "placed"
  /** That message's row is in view: the frame drawing it is done. */
  | "in-view"
  /** The login check has answered: signed in. */
  | "auth";

export function mark(step: Step): void {
  // On the first screen's path (the boot module, the mount, the login check): a browser without
  // User Timing, or one that throws on it, must still get its page.
  try {
    performance.mark(`av:${step}`);
  } catch {
    /* no mark: nothing else depends on it */
  }
}
