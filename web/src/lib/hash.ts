/** Reads a location hash (`#/s/<id>/m/<ordinal>?project=x`) into a path, its decoded segments and
 * its query. Plain code with no Svelte in it: the boot module (boot.ts) reads the hash with it
 * before the app's code has loaded; the router (router.svelte.ts) re-exports it.
 */

export interface Place {
  /** The path part of the hash, always starting with "/" ("/" when empty). */
  path: string;
  /** Decoded path segments ("/s/a%3Ab" gives ["s", "a:b"]). */
  segments: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Place {
  const raw = hash.replace(/^#/, "") || "/";
  const q = raw.indexOf("?");
  const pathPart = q === -1 ? raw : raw.slice(0, q);
  const path = pathPart.startsWith("/") ? pathPart : `/${pathPart}`;
  const segments = path
    .split("/")
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { path, segments, query: new URLSearchParams(q === -1 ? "" : raw.slice(q + 1)) };
}
