/** The page's entry, kept to a few kilobytes: it starts the first screen's requests (its data and
 * the current view's code) the moment the HTML is parsed, then loads the app. The app's main
 * chunk (Svelte, the shell, the session list) used to be the entry, so a deep link's data
 * requests waited for all of it to download and evaluate; now they run in parallel with it.
 * No inline script: the page runs under a strict CSP. The stylesheet is applied from here, not
 * linked in the HTML, where it would hold this module back until it had loaded (lib/stylesheet.ts).
 */
import { startFirstScreen } from "./lib/firstScreen";
import { mark } from "./lib/marks";
import { applyStylesheet } from "./lib/stylesheet";

mark("boot");
startFirstScreen(location.hash);
void import("./main");
// After the app's import: applied when its preload has arrived, the stylesheet is parsed at once.
void applyStylesheet();
