/** What the first screen needs, started by the boot module (boot.ts) before the app's code has
 * loaded: the login check, the current view's code, the session list and, for a session link,
 * the session, the page of messages it opens at and its children. Each request is built by the
 * same functions the views use (api/pages.ts), so the view's later request is exactly this URL
 * and takes the answer already on its way (client.prefetch): nothing is fetched twice. Data is
 * prefetched only when this browser was signed in last time (a hint in localStorage), so a
 * signed-out visit makes no failing calls.
 *
 * Everything imported here must stay free of Svelte and of the components: this module is in
 * the boot chunk, which runs as soon as the HTML is parsed, while the app's main chunk loads.
 */
import { prefetch } from "./api/client";
import { childrenPageQuery, listPageQuery, messagePageStart, messageRangeQuery, MESSAGE_PAGE } from "./api/pages";
import { parseHash, type Place } from "./hash";
import { mark } from "./marks";
import { probablySignedIn } from "./signedInHint";
import { loadView, resolve } from "../routes/registry";
import { apiQuery, readFilters } from "./sessions/filters";

/** A deep link's own data (its session and the page of messages it opens at), settled: answered,
 * or failed. Resolved at once when there is none to wait for. */
let deepLinkData: Promise<unknown> = Promise.resolve();

/** The current view's code, loaded (or failed to); resolved at once when no view matched. */
let viewLoaded: Promise<unknown> = Promise.resolve();

/** Settles once a deep link's own data has (main.ts mounts the app with it: see there). */
export function deepLinkDataSettled(): Promise<unknown> {
  return deepLinkData;
}

/** Settles once the view's code that startFirstScreen asked for has loaded, or failed to. */
export function firstViewLoaded(): Promise<unknown> {
  return viewLoaded;
}

/** Whether the page was opened at a message (`#/s/<id>/m/<n>`): its first paint comes first. */
export function isDeepLink(hash: string): boolean {
  const target = resolve(parseHash(hash).segments);
  return target?.route.name === "session" && target.params.ordinal !== undefined;
}

export function startFirstScreen(hash: string): void {
  const place = parseHash(hash);
  const target = resolve(place.segments);
  // The data first (each answer takes a server round trip), then the view's code (its chunk
  // may well be in the HTTP cache), then the login check (the page draws without waiting for it).
  const signedIn = probablySignedIn();
  if (signedIn) startData(place, target);
  if (target) viewLoaded = loadView(target.route).then(() => mark("view-code"), () => {});
  // Opened at a message by a browser signed in last time, the login check waits for the
  // message's first paint (main.ts): the page needs no answer from it to draw, an expired login
  // shows anyway (the data answers 401), and the one local server answers the data sooner
  // without it.
  if (!(signedIn && isDeepLink(hash))) prefetch("/api/v1/auth/me");
}

/** Signed out, every data request would be a 401: the page waits for the login then. */
function startData(place: Place, target: ReturnType<typeof resolve>): void {
  if (target?.route.name === "session" && target.params.id) {
    // A session link's own data first: it is what the first paint waits for.
    const sid = target.params.id;
    const from = messagePageStart(Number(target.params.ordinal ?? 0));
    const own = [
      prefetch("/api/v1/sessions/{sid}", { params: { sid } }),
      prefetch("/api/v1/sessions/{sid}/messages", { params: { sid }, query: messageRangeQuery(from, from + MESSAGE_PAGE) }),
    ];
    // At a message, nothing else: the children and the list wait for its first paint
    // (firstPaint.svelte.ts), and their requests would only compete with it.
    if (target.params.ordinal !== undefined) {
      deepLinkData = Promise.allSettled(own).then(() => mark("data"));
      return;
    }
    prefetch("/api/v1/sessions/{sid}/children", { params: { sid }, query: childrenPageQuery(null) });
  }
  prefetch("/api/v1/sessions", { query: listPageQuery(apiQuery(readFilters(place.query)), null) });
}
