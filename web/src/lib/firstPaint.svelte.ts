/** Whether a deep link's message has painted. On a deep link (`#/s/<id>/m/<n>`) the shell mounts
 * the session list only after it, so the list's rows (and their work on the main thread) do
 * not compete with the first paint the reader is waiting for.
 */
class FirstPaint {
  /** The deep-linked message is on screen (or the session view gave up: an error, it left). */
  sessionShown = $state(false);

  markShown(): void {
    this.sessionShown = true;
  }
}

export const firstPaint = new FirstPaint();
