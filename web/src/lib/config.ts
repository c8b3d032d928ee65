/** Where the viewer's JSON API lives.
 *
 * Served by viewer_fn, the page and the API share an origin and a path prefix, so the base is
 * the page's own directory (document.baseURI). Hosted apart (CloudFront, any static host), the
 * page reads the API's absolute URL from `<meta name="av-api-base">` (set at build time with
 * VITE_AV_API_BASE, or edited on the host). docs/web.md says what the API then needs (CORS).
 */
export function apiBase(doc: Document = document): string {
  const configured = doc.querySelector<HTMLMetaElement>('meta[name="av-api-base"]')?.content.trim() ?? "";
  const base = configured && !configured.startsWith("%") ? configured : ".";
  const url = new URL(base, doc.baseURI);
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url.href;
}

/** True when the API is on another origin than the page (cookies then need credentials: "include"). */
export function isCrossOrigin(base: string, doc: Document = document): boolean {
  return new URL(base).origin !== new URL(doc.baseURI).origin;
}
