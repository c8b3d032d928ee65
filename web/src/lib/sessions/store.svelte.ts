/** The session list: pages loaded as the list scrolls, kept current while the page is open.
 *
 * Filters come from the URL. Every 10 s while the page is visible the API's global version
 * (/changes) is checked; when it moved, the newest page is fetched again and merged in, so new
 * and updated sessions appear without losing what is loaded, scrolled or expanded.
 */
import * as api from "../api/endpoints";
import { ApiError } from "../api/client";
import { LIST_PAGE, listPageQuery } from "../api/pages";
import type { Session } from "../api/types";
import { apiQuery, type ListFilters } from "./filters";

export const POLL_MS = 10_000;

function newestFirst(a: Session, b: Session): number {
  const ta = a.last_activity ?? "";
  const tb = b.last_activity ?? "";
  if (ta !== tb) return ta < tb ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

class SessionListStore {
  // Raw: the array is replaced whole on every change, never mutated; a deep proxy over 200+
  // sessions would cost a proxy per object read for nothing.
  sessions = $state.raw<Session[]>([]);
  total = $state<number | null>(null);
  loading = $state(false);
  error = $state("");
  /** Bumped on every change of the loaded set (live refresh included). */
  revision = $state(0);
  private cursor: string | null = null;
  private filtersKey = "";
  /** The API query of the current filters, taken once when they were set: every page after
   * the first must send the same parameters ("active within" is a time, not recomputed). */
  private query: ReturnType<typeof apiQuery> | null = null;
  private seq = 0;
  private globalVersion: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  get hasMore(): boolean {
    return this.cursor !== null;
  }

  /** Start over when the filters changed (no-op otherwise). */
  use(filters: ListFilters): void {
    // Keyed by the filters, not the query: "active within" gives a new time every minute.
    const key = JSON.stringify({ ...filters, group: null });
    if (key === this.filtersKey) return;
    this.filtersKey = key;
    this.query = apiQuery(filters);
    this.sessions = [];
    this.total = null;
    this.cursor = null;
    void this.loadPage(true);
  }

  async loadPage(first = false): Promise<void> {
    if (!this.query || (!first && (this.loading || this.cursor === null))) return;
    const seq = ++this.seq;
    this.loading = true;
    this.error = "";
    try {
      const page = await api.listSessions(listPageQuery(this.query, first ? null : this.cursor));
      // (firstScreen.ts prefetches exactly this first-page URL)
      if (seq !== this.seq) return;
      this.sessions = first ? page.rows : this.merge(this.sessions, page.rows);
      this.cursor = page.next;
      this.total = page.total ?? this.total;
      this.revision++;
    } catch (err) {
      if (seq === this.seq) this.error = err instanceof Error ? err.message : String(err);
    } finally {
      if (seq === this.seq) this.loading = false;
    }
  }

  private merge(current: Session[], incoming: Session[]): Session[] {
    const byId = new Map(current.map((s) => [s.id, s]));
    for (const s of incoming) byId.set(s.id, s);
    return [...byId.values()].sort(newestFirst);
  }

  /** Fetch the newest page again and merge it: new sessions appear, changed ones update. */
  async refresh(): Promise<void> {
    if (!this.query || this.loading) return;
    const seq = this.seq;
    try {
      const page = await api.listSessions({ ...this.query, limit: LIST_PAGE });
      if (seq !== this.seq) return;
      this.sessions = this.merge(this.sessions, page.rows);
      this.total = page.total ?? this.total;
      if (this.cursor === null && page.next !== null && this.sessions.length <= LIST_PAGE) this.cursor = page.next;
      this.revision++;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) this.error = err instanceof Error ? err.message : String(err);
    }
  }

  /** Poll /changes while the page is visible; returns the stopper. */
  watch(onChange: () => void = () => {}): () => void {
    const tick = async (): Promise<void> => {
      if (document.visibilityState !== "visible") return;
      try {
        const version = await api.globalVersion();
        if (this.globalVersion !== null && version !== this.globalVersion) {
          await this.refresh();
          onChange();
        }
        this.globalVersion = version;
      } catch {
        /* the next tick tries again; a 401 shows the login page */
      }
    };
    void tick();
    this.timer = setInterval(() => void tick(), POLL_MS);
    const onVisible = (): void => void tick();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      if (this.timer) clearInterval(this.timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }
}

export const sessionList = new SessionListStore();
