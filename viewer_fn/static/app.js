// av-cloud viewer: a dependency-free single-page app over the read-only JSON API.
// All URLs are relative to document.baseURI so the page works under any path prefix.
import {
  absoluteTime, compact, duration, h, plural, relativeTime, renderMessage, truncate,
} from "./render.js";

const SESSION_PAGE = 50;
const MESSAGE_PAGE = 200;
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, { method = "GET", body } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(new URL(path, document.baseURI), init);
  } catch {
    throw new ApiError(0, "cannot reach the server; check your connection");
  }
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok || !data || data.ok === false) {
    const message = (data && typeof data.error === "string" && data.error) || `request failed (HTTP ${res.status})`;
    throw new ApiError(res.status, message);
  }
  return data;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

const sessionPath = (id) => `api/v1/sessions/${encodeURIComponent(id)}`;
const sessionHash = (id) => `#/s/${encodeURIComponent(id)}`;

const state = {
  sessions: [], nextCursor: null, total: null, listSeq: 0, loadingList: false,
  filters: { machine: "", project: "", agent: "" },
  seen: { machine: new Set(), project: new Set(), agent: new Set() },
  currentId: null, session: null, lastOrdinal: -1, loaded: 0, hasMore: false, sessionSeq: 0,
};

// ---- views ------------------------------------------------------------------

function show(view) {
  $("boot").hidden = view !== "boot";
  $("login").hidden = view !== "login";
  $("shell").hidden = view !== "shell";
}

function showLogin(message) {
  show("login");
  const err = $("login-error");
  err.textContent = message || "";
  err.hidden = !message;
  $("login-token").value = "";
  $("login-token").focus();
}

function handleError(err, target) {
  if (err instanceof ApiError && err.status === 401) {
    showLogin("Your login has expired. Sign in again.");
    return;
  }
  if (target) {
    target.textContent = err.message || String(err);
    target.hidden = false;
  }
}

async function startShell(name) {
  $("whoami").textContent = name ? `Signed in as ${name}` : "";
  show("shell");
  await loadSessions(true);
  route();
}

// ---- login ------------------------------------------------------------------

async function onLogin(event) {
  event.preventDefault();
  const input = $("login-token");
  const err = $("login-error");
  const token = input.value.trim();
  if (!token) {
    err.textContent = "Enter your viewer token.";
    err.hidden = false;
    return;
  }
  const button = $("login-submit");
  button.disabled = true;
  err.hidden = true;
  try {
    const data = await api("api/v1/auth/login", { method: "POST", body: { token } });
    input.value = "";
    await startShell(data.name);
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
    input.select();
  } finally {
    button.disabled = false;
  }
}

async function onLogout() {
  try { await api("api/v1/auth/logout", { method: "POST" }); } catch { /* the cookie goes either way */ }
  state.sessions = [];
  state.currentId = null;
  $("session-list").replaceChildren();
  $("session").replaceChildren();
  showLogin("");
}

// ---- session list -----------------------------------------------------------

function remember(session) {
  for (const key of ["machine", "project", "agent"]) if (session[key]) state.seen[key].add(session[key]);
}

function fillFilter(key, allLabel) {
  const select = $(`filter-${key}`);
  const values = [...state.seen[key]].sort((a, b) => a.localeCompare(b));
  const current = state.filters[key];
  if (current && !values.includes(current)) values.push(current);
  select.replaceChildren(h("option", { value: "", text: allLabel }),
    ...values.map((v) => h("option", { value: v, text: v })));
  select.value = current;
}

function sessionItem(s) {
  const title = s.display_name || s.first_message || "(no message)";
  const a = h("a", { className: "session-item", href: sessionHash(s.id), dataset: { id: s.id } },
    h("div", { className: "si-top" },
      h("span", { className: "si-project", title: s.project || "", text: s.project || "(no project)" }),
      h("time", { className: "si-time", datetime: s.last_activity || "", title: absoluteTime(s.last_activity),
        text: relativeTime(s.last_activity) })),
    h("div", { className: "si-first", title: truncate(title, 500), text: truncate(title, 140) }),
    h("div", { className: "si-meta" },
      h("span", { className: `agent agent-${String(s.agent).replace(/[^a-z0-9_-]/gi, "")}`, text: s.agent }),
      h("span", { className: "si-machine", text: s.machine }),
      h("span", { className: "si-count", text: plural(s.message_count, "msg") })));
  return h("li", null, a);
}

function markActive() {
  for (const el of document.querySelectorAll(".session-item")) {
    const active = el.dataset.id === state.currentId;
    el.classList.toggle("active", active);
    if (active) el.setAttribute("aria-current", "page"); else el.removeAttribute("aria-current");
  }
}

async function loadSessions(reset) {
  const seq = reset ? ++state.listSeq : state.listSeq;
  const list = $("session-list");
  const more = $("load-more-sessions");
  const err = $("list-error");
  err.hidden = true;
  state.loadingList = true;
  more.disabled = true;
  if (reset) {
    state.sessions = [];
    state.nextCursor = null;
    list.replaceChildren(h("li", { className: "list-loading muted", text: "Loading sessions…" }));
  }
  try {
    const data = await api(`api/v1/sessions${query({
      // One-shot sessions (one prompt, many tool calls) are real work: the page lists them.
      limit: SESSION_PAGE, cursor: reset ? null : state.nextCursor, include_one_shot: "true", ...state.filters })}`);
    if (seq !== state.listSeq) return;
    if (reset) {
      list.replaceChildren();
      state.total = data.total;
    }
    for (const s of data.rows) {
      state.sessions.push(s);
      remember(s);
      list.appendChild(sessionItem(s));
    }
    state.nextCursor = data.next;
    if (!state.sessions.length) {
      list.replaceChildren(h("li", { className: "list-empty muted",
        text: Object.values(state.filters).some(Boolean) ? "No sessions match these filters." : "No sessions yet." }));
    }
    $("session-total").textContent = state.total === null ? "" : plural(state.total, "session");
    more.hidden = !state.nextCursor;
    fillFilter("machine", "All machines");
    fillFilter("project", "All projects");
    fillFilter("agent", "All agents");
    markActive();
  } catch (e) {
    if (seq !== state.listSeq) return;
    if (reset) list.replaceChildren();
    handleError(e, err);
  } finally {
    state.loadingList = false;
    more.disabled = false;
  }
}

// ---- one session ------------------------------------------------------------

function stat(label, value, title) {
  if (value === null || value === undefined || value === "") return null;
  return h("div", { className: "stat", title: title || null },
    h("dt", { text: label }), h("dd", { text: value }));
}

function sessionHeader(s) {
  const title = s.display_name || truncate(s.first_message, 160) || s.session_id;
  const chips = h("div", { className: "chips" },
    h("span", { className: "chip chip-project", title: s.cwd || s.project || "", text: s.project || "(no project)" }),
    h("span", { className: `chip agent agent-${String(s.agent).replace(/[^a-z0-9_-]/gi, "")}`, text: s.agent }),
    h("span", { className: "chip", title: "Machine", text: s.machine }),
    s.git_branch ? h("span", { className: "chip", title: "Git branch", text: s.git_branch }) : null,
    ...(Array.isArray(s.models) ? s.models : []).map((m) => h("span", { className: "chip chip-model", text: m })));
  const cache = (s.cache_read_tokens || 0) + (s.cache_creation_tokens || 0);
  const stats = h("dl", { className: "stats" },
    stat("Started", absoluteTime(s.started_at || s.created_at)),
    stat("Ended", absoluteTime(s.ended_at, { sameDayAs: s.started_at || s.created_at })),
    stat("Duration", duration(s.started_at, s.ended_at)),
    stat("Messages", Number(s.message_count || 0).toLocaleString()),
    stat("User messages", Number(s.user_message_count || 0).toLocaleString()),
    stat("Tool calls", Number(s.tool_call_count || 0).toLocaleString()),
    stat("Tokens in / out", `${compact(s.input_tokens)} / ${compact(s.output_tokens)}`,
      `${s.input_tokens || 0} input, ${s.output_tokens || 0} output`),
    cache ? stat("Cache read / write", `${compact(s.cache_read_tokens)} / ${compact(s.cache_creation_tokens)}`) : null,
    s.peak_context_tokens ? stat("Peak context", compact(s.peak_context_tokens)) : null);
  const parent = s.parent_session_id
    ? h("p", { className: "parent" }, `${s.relationship || "child"} of `,
      h("a", { href: sessionHash(`${s.machine}:${s.parent_session_id}`), text: s.parent_session_id }))
    : null;
  return h("header", { className: "session-head" },
    h("h1", { className: "session-title", title: s.first_message || "", text: title }),
    chips, stats, parent,
    h("p", { className: "session-id muted" }, "Session ", h("code", { text: s.session_id })));
}

function renderMoreButton() {
  const foot = $("session").querySelector(".session-foot");
  if (!foot) return;
  const remaining = Math.max(0, (state.session?.message_count || 0) - state.loaded);
  foot.replaceChildren();
  if (state.hasMore) {
    const label = remaining > 0 ? `Load more messages (${remaining.toLocaleString()} remaining)` : "Load more messages";
    foot.appendChild(h("button", { type: "button", className: "btn btn-wide", id: "load-more-messages", text: label,
      onclick: () => loadMessages(state.sessionSeq) }));
  } else if (state.loaded) {
    foot.appendChild(h("p", { className: "muted end-note", text: `End of session · ${plural(state.loaded, "message")}` }));
  }
}

async function loadMessages(seq) {
  const button = $("load-more-messages");
  if (button) { button.disabled = true; button.textContent = "Loading…"; }
  try {
    const data = await api(`${sessionPath(state.currentId)}/messages${query({
      from: state.lastOrdinal + 1, limit: MESSAGE_PAGE })}`);
    if (seq !== state.sessionSeq) return;
    const list = $("session").querySelector(".messages");
    const frag = document.createDocumentFragment();
    for (const m of data.rows) {
      frag.appendChild(renderMessage(m, state.session.machine));
      state.lastOrdinal = Math.max(state.lastOrdinal, m.ordinal);
    }
    list.appendChild(frag);
    state.loaded += data.rows.length;
    // Pages are bounded by bytes as well as by count: `next` says whether more follow.
    state.hasMore = data.next !== null;
    renderMoreButton();
  } catch (e) {
    if (seq !== state.sessionSeq) return;
    const foot = $("session").querySelector(".session-foot");
    if (foot) {
      const p = h("p", { className: "inline-error", role: "alert" });
      foot.replaceChildren(p);
      handleError(e, p);
      foot.appendChild(h("button", { type: "button", className: "btn", text: "Retry",
        onclick: () => loadMessages(state.sessionSeq) }));
    }
  }
}

async function openSession(id) {
  const seq = ++state.sessionSeq;
  state.currentId = id;
  state.session = null;
  state.lastOrdinal = -1;
  state.loaded = 0;
  state.hasMore = false;
  markActive();
  const view = $("session");
  $("empty").hidden = true;
  view.hidden = false;
  view.replaceChildren(h("p", { className: "muted loading", text: "Loading session…" }));
  $("content").scrollTop = 0;
  try {
    const data = await api(sessionPath(id));
    if (seq !== state.sessionSeq) return;
    state.session = data.session;
    document.title = `${truncate(data.session.display_name || data.session.first_message || id, 60)} · av-cloud`;
    view.replaceChildren(sessionHeader(data.session), h("div", { className: "messages" }),
      h("div", { className: "session-foot" }));
    await loadMessages(seq);
  } catch (e) {
    if (seq !== state.sessionSeq) return;
    const p = h("p", { className: "inline-error", role: "alert" });
    view.replaceChildren(p);
    handleError(e, p);
  }
}

function closeSession() {
  state.sessionSeq++;
  state.currentId = null;
  state.session = null;
  $("session").hidden = true;
  $("session").replaceChildren();
  $("empty").hidden = false;
  document.title = "av-cloud viewer";
  markActive();
}

// ---- routing and keys -------------------------------------------------------

function route() {
  if ($("shell").hidden) return;
  const m = /^#\/s\/(.+)$/.exec(location.hash);
  if (!m) { closeSession(); return; }
  let id;
  try { id = decodeURIComponent(m[1]); } catch { id = m[1]; }
  if (id !== state.currentId || !state.session) openSession(id);
}

async function step(delta) {
  const ids = state.sessions.map((s) => s.id);
  if (!ids.length) return;
  let i = ids.indexOf(state.currentId);
  i = i < 0 ? (delta > 0 ? 0 : ids.length - 1) : i + delta;
  if (i >= ids.length && state.nextCursor && !state.loadingList) {
    await loadSessions(false);
    return step(delta);
  }
  i = Math.max(0, Math.min(ids.length - 1, i));
  location.hash = sessionHash(ids[i]);
  document.querySelector(`.session-item[data-id="${CSS.escape(ids[i])}"]`)?.scrollIntoView({ block: "nearest" });
}

function onKey(event) {
  if (event.defaultPrevented || event.metaKey || event.ctrlKey || event.altKey) return;
  const t = event.target;
  if (t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement) return;
  if ($("shell").hidden) return;
  if (event.key === "j") { event.preventDefault(); step(1); }
  else if (event.key === "k") { event.preventDefault(); step(-1); }
  else if (event.key === "Escape" && state.currentId) { event.preventDefault(); location.hash = "#/"; }
}

// ---- start ------------------------------------------------------------------

function wire() {
  $("login-form").addEventListener("submit", onLogin);
  $("logout").addEventListener("click", onLogout);
  $("refresh").addEventListener("click", () => loadSessions(true));
  $("load-more-sessions").addEventListener("click", () => loadSessions(false));
  for (const key of ["machine", "project", "agent"]) {
    $(`filter-${key}`).addEventListener("change", (e) => {
      state.filters[key] = e.target.value;
      loadSessions(true);
    });
  }
  window.addEventListener("hashchange", route);
  document.addEventListener("keydown", onKey);
  // Relative times go stale; refresh them every minute.
  setInterval(() => {
    for (const el of document.querySelectorAll(".si-time")) el.textContent = relativeTime(el.getAttribute("datetime"));
  }, 60_000);
}

// ---- change polling -----------------------------------------------------------
// Every POLL_MS while the tab is visible, ask the cheap change signal; when anything was
// pushed, refresh the list, and reopen the open session if it is the one that changed.
const POLL_MS = 10_000;
let lastGlobal = null;
let lastSession = { id: null, version: null };

async function pollChanges() {
  if (document.visibilityState !== "visible" || $("shell").hidden) return;
  try {
    const { global_version: v } = await api("api/v1/changes");
    if (lastGlobal !== null && v !== lastGlobal) {
      if (!state.loadingList && !state.nextCursor) await loadSessions(true);
      if (state.currentId) {
        const id = state.currentId;
        const { version } = await api(`${sessionPath(id)}/version`);
        if (lastSession.id === id && version !== lastSession.version) openSession(id);
        lastSession = { id, version };
      }
    }
    lastGlobal = v;
    if (state.currentId && lastSession.id !== state.currentId && state.session) {
      lastSession = { id: state.currentId, version: state.session.version };
    }
  } catch { /* a missed poll is retried on the next tick */ }
}

async function boot() {
  wire();
  setInterval(pollChanges, POLL_MS);
  document.addEventListener("visibilitychange", pollChanges);
  try {
    const me = await api("api/v1/auth/me");
    await startShell(me.name);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) showLogin("");
    else {
      show("boot");
      $("boot").textContent = `Cannot load the viewer: ${e.message}`;
      $("boot").classList.add("inline-error");
    }
  }
}

boot();
