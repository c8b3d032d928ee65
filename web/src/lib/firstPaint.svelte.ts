/** Whether a deep link's message has painted. A page opened at a message (`#/s/<id>/m/<n>`)
 * keeps everything else until it has: the shell mounts the session list after it, and the
 * session's children and cost are asked for after it, so neither their requests (six at a time
 * per server over HTTP/1.1) nor their rendering compete with the first paint the reader waits for.
 */
import { untrack } from "svelte";
import { isDeepLink } from "./firstScreen";
import { mark } from "./marks";

/** After this long the rest comes anyway, should the view never say its message painted. */
// (tests/viewer/test_browser_deep_link_wait.py stretches this deadline by its value: keep them in step.)
const AT_LATEST_MS = 5000;

export class FirstPaint {
  /** Opened at a message that has not painted yet (and the view has not given up or left). */
  waiting = $state(false);
  private queued: (() => void)[] = [];
  /** Watching for the target's row to come into view; disconnected once it has, or once the
   * view gave up or left (a row that never shows must not keep its observer, nor the row). */
  private watching: IntersectionObserver | null = null;

  constructor(opened: string) {
    if (!isDeepLink(opened)) return;
    this.waiting = true;
    setTimeout(() => this.markShown(), AT_LATEST_MS);
  }

  /** The deep-linked message's row is in the DOM, scrolled to. Once it is in view (laid out in
   * the viewport: drawn in that frame), what waits for it runs after the next frame, in a task of
   * its own. Run at once (as it used to be, two animation frames after the scroll, whether the
   * row was in view by then or not), the list's mount (~30 ms of script) and the requests it
   * starts could sit in front of the frame showing the message. */
  placed(row: Element | null): void {
    if (!this.waiting) return;
    mark("placed");
    const after = (): void => {
      requestAnimationFrame(() => setTimeout(() => this.markShown(), 0));
    };
    if (!row || typeof IntersectionObserver === "undefined") {
      requestAnimationFrame(after);
      return;
    }
    this.watching?.disconnect();
    const seen = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      mark("in-view");
      seen.disconnect();
      if (this.watching === seen) this.watching = null;
      after();
    });
    this.watching = seen;
    seen.observe(row);
  }

  /** The deep-linked message is on screen (or the session view gave up: an error, it left). */
  markShown(): void {
    this.watching?.disconnect();
    this.watching = null;
    if (!this.waiting) return;
    this.waiting = false;
    const tasks = this.queued;
    this.queued = [];
    for (const task of tasks) task();
  }

  /** Runs `task` once the first paint is done: at once, unless a deep link's message is pending. */
  afterShown(task: () => void): void {
    // Untracked: an effect that calls this must not re-run (and, say, fetch its data again)
    // when the first paint is done.
    if (untrack(() => this.waiting)) this.queued.push(task);
    else task();
  }
}

export const firstPaint = new FirstPaint(typeof location === "undefined" ? "" : location.hash);
