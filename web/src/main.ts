/** The app: loaded by boot.ts once the first screen's requests are on their way. */
import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { auth } from "./lib/auth.svelte";
import { firstPaint } from "./lib/firstPaint.svelte";
import { parseHash } from "./lib/hash";
import { applyStylesheet } from "./lib/stylesheet";
import { theme } from "./lib/theme.svelte";
import { resolve } from "./routes/registry";

theme.apply();
// Signed in last time (the page draws at once) and opened at a message: the login check comes
// after that message's first paint (lib/firstScreen.ts says why). Otherwise at once: without
// the hint the page waits for it to know whether to show the login.
// Already signed out (a 401 answered one of the boot module's requests), nothing to check.
if (auth.state === "signed-in") firstPaint.afterShown(() => void auth.check());
else if (auth.state === "checking") void auth.check();
const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");
// Mounted once the stylesheet has loaded (it usually has: it downloads beside the boot module).
// Opened at a message, also once the session view's code has (the boot module asked for it):
// the shell and the view then mount in one task and show in one frame. Mounted alone first, the
// shell cost a frame of its own (style, layout, paint) ahead of the message's. Unless the page
// learns first that nobody is signed in (the login check, or the data, answered 401): the login
// page needs none of the view's code, and waited for it (the view's chunk is the page's largest).
const deepLinkView = firstPaint.waiting
  ? Promise.race([resolve(parseHash(location.hash).segments)?.route.load().catch(() => {}), auth.signedOut])
  : undefined;
void Promise.all([applyStylesheet(), deepLinkView]).then(() => mount(App, { target }));
