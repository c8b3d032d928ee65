/** The app: loaded by boot.ts once the first screen's requests are on their way. */
import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { auth } from "./lib/auth.svelte";
import { applyStylesheet } from "./lib/stylesheet";
import { theme } from "./lib/theme.svelte";

theme.apply();
void auth.check();
const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");
// Mounted once the stylesheet has loaded (it usually has: it downloads beside the boot module).
void applyStylesheet().then(() => mount(App, { target }));
