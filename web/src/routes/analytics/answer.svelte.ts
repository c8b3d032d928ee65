/** One API answer a panel shows: the latest data, its error, and whether a newer one is on the
 * way (the old data stays on screen meanwhile, so a filter change does not flash empty panels).
 * A newer load aborts the older one: answers never arrive out of order. */
export class Answer<T> {
  data = $state<T | null>(null);
  error = $state("");
  loading = $state(false);
  private controller: AbortController | null = null;

  async load(fetcher: (signal: AbortSignal) => Promise<T>): Promise<void> {
    this.controller?.abort();
    const mine = new AbortController();
    this.controller = mine;
    this.loading = true;
    try {
      const data = await fetcher(mine.signal);
      if (mine.signal.aborted) return;
      this.data = data;
      this.error = "";
    } catch (err) {
      if (mine.signal.aborted) return;
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      if (this.controller === mine) this.loading = false;
    }
  }

  stop(): void {
    this.controller?.abort();
  }
}
