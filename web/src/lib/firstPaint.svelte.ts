/** Whether a deep link's message has painted. A page opened at a message (`#/s/<id>/m/<n>`)
 * keeps everything else until it has: the shell mounts the session list after it, and the
 * session's children and cost are asked for after it, so neither their requests (six at a time
 * per server over HTTP/1.1) nor their rendering compete with the first paint the reader waits for.
 */
import { untrack } from "svelte";
import { isDeepLink } from "./firstScreen";

/** After this long the rest comes anyway, should the view never say its message painted. */
const AT_LATEST_MS = 5000;

class FirstPaint {
  /** Opened at a message that has not painted yet (and the view has not given up or left). */
  waiting = $state(false);
  private queued: (() => void)[] = [];

  constructor(opened: string) {
    if (!isDeepLink(opened)) return;
    this.waiting = true;
    setTimeout(() => this.markShown(), AT_LATEST_MS);
  }

  /** The deep-linked message is on screen (or the session view gave up: an error, it left). */
  markShown(): void {
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
