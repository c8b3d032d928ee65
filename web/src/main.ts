/** The app: loaded by boot.ts once the first screen's requests are on their way. */
import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { auth } from "./lib/auth.svelte";
import { firstPaint } from "./lib/firstPaint.svelte";
import { mark } from "./lib/marks";
import { deepLinkDataSettled, firstViewLoaded } from "./lib/firstScreen";
import { applyStylesheet } from "./lib/stylesheet";
import { theme } from "./lib/theme.svelte";

mark("app");
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
// Opened at a message, also once the session view's code has (index.html preloads it) and the
// message's data has come (the boot module asked for it), for at most DATA_WAIT_MS more: the
// shell, the view and the message's rows then mount in one task and show in one frame. Mounted
// alone first, the shell cost a frame of its own (style, layout, paint) ahead of the message's;
// mounted before the data, the view drew its header in one frame and its rows in the next (the
// answers' tasks queued behind that frame: ~60 ms between the mount and the rows in a probe of
// session 7, the data having arrived before the mount). Data later than that: the view mounts
// and shows its placeholders until it comes. Unless the page learns first that nobody is signed
// in (the login check, or the data, answered 401): the login page needs none of the view's code,
// nor its data.
// (tests/viewer/test_browser_first_screen.py stretches this deadline by its value: keep them in step.)
const DATA_WAIT_MS = 300;
const deepLinkView = firstPaint.waiting
  ? Promise.race([
      Promise.all([
        firstViewLoaded(),
        Promise.race([deepLinkDataSettled(), new Promise((done) => setTimeout(done, DATA_WAIT_MS))]),
      ]),
      auth.signedOut,
    ])
  : undefined;
void Promise.all([applyStylesheet(), deepLinkView]).then(() => {
  mark("mount");
  mount(App, { target });
});
