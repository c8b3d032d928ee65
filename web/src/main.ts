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
if (auth.state === "signed-in") firstPaint.afterShown(() => void auth.check());
else void auth.check();
const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");
// Mounted once the stylesheet has loaded (it usually has: it downloads beside the boot module).
// Opened at a message, also once the session view's code has (the boot module asked for it):
// the shell and the view then mount in one task and show in one frame. Mounted alone first, the
// shell cost a frame of its own (style, layout, paint) ahead of the message's.
const deepLinkView = firstPaint.waiting ? resolve(parseHash(location.hash).segments)?.route.load().catch(() => {}) : undefined;
void Promise.all([applyStylesheet(), deepLinkView]).then(() => mount(App, { target }));
