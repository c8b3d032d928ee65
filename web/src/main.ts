import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { auth } from "./lib/auth.svelte";
import { startFirstScreen } from "./lib/firstScreen";
import { theme } from "./lib/theme.svelte";

theme.apply();
startFirstScreen(location.hash);
void auth.check();
const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");
mount(App, { target });
