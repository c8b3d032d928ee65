/** A hint (not a credential) that this browser was signed in last time: the first screen then
 * fetches its data in parallel with the login check instead of after it (firstScreen.ts). */
const HINT = "av-signed-in";

export function probablySignedIn(): boolean {
  try {
    return localStorage.getItem(HINT) === "1";
  } catch {
    return false;
  }
}

export function remember(signedIn: boolean): void {
  try {
    if (signedIn) localStorage.setItem(HINT, "1");
    else localStorage.removeItem(HINT);
  } catch {
    /* private mode: no hint, only a slower first screen */
  }
}
