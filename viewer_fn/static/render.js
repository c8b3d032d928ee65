// DOM building and formatting helpers. Everything that comes from a session log is
// inserted as text (textContent / text nodes), never parsed as HTML.

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "className") el.className = value;
      else if (key === "text") el.textContent = String(value);
      else if (key === "dataset") Object.assign(el.dataset, value);
      else if (key === "onclick") el.addEventListener("click", value);
      else if (key in el && typeof value === "boolean") el[key] = value;
      else el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

// ---- formatting -------------------------------------------------------------

export function compact(n) {
  if (n === null || n === undefined) return "–";
  const v = Number(n);
  if (!Number.isFinite(v)) return "–";
  if (Math.abs(v) < 1000) return String(v);
  if (Math.abs(v) < 1e6) return `${(v / 1e3).toFixed(v < 1e4 ? 1 : 0).replace(/\.0$/, "")}k`;
  if (Math.abs(v) < 1e9) return `${(v / 1e6).toFixed(v < 1e7 ? 1 : 0).replace(/\.0$/, "")}M`;
  return `${(v / 1e9).toFixed(1).replace(/\.0$/, "")}B`;
}

export function plural(n, word) {
  return `${Number(n || 0).toLocaleString()} ${word}${Number(n) === 1 ? "" : "s"}`;
}

function parseDate(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function absoluteTime(value, { sameDayAs } = {}) {
  const d = parseDate(value);
  if (!d) return "";
  const ref = parseDate(sameDayAs);
  if (ref && ref.toDateString() === d.toDateString()) {
    return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }
  const opts = { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
  if (d.getFullYear() !== new Date().getFullYear()) opts.year = "numeric";
  return d.toLocaleString(undefined, opts);
}

export function clockTime(value) {
  const d = parseDate(value);
  if (!d) return "";
  return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function relativeTime(value, now = Date.now()) {
  const d = parseDate(value);
  if (!d) return "";
  const s = Math.round((now - d.getTime()) / 1000);
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m ago`;
  const hr = Math.round(m / 60);
  if (hr < 24) return `${hr}h ago`;
  const days = Math.round(hr / 24);
  if (days < 7) return `${days}d ago`;
  if (days < 365) return d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  return d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function duration(start, end) {
  const a = parseDate(start), b = parseDate(end);
  if (!a || !b) return "";
  let s = Math.max(0, Math.round((b - a) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60); s %= 60;
  if (m < 60) return `${m}m ${s}s`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr}h ${m % 60}m`;
  return `${Math.floor(hr / 24)}d ${hr % 24}h`;
}

export function truncate(text, max) {
  const t = String(text || "").replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

// ---- message text -----------------------------------------------------------

const FENCE = /```([^\n`]*)\n([\s\S]*?)(?:\n```|$)/g;
const INLINE = /`([^`\n]+)`|\*\*([^*\n]+)\*\*/g;

function inline(text) {
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) frag.appendChild(document.createTextNode(text.slice(last, m.index)));
    frag.appendChild(m[1] !== undefined ? h("code", { text: m[1] }) : h("strong", { text: m[2] }));
    last = m.index + m[0].length;
  }
  if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
  return frag;
}

function prose(text) {
  const trimmed = text.replace(/^\n+|\s+$/g, "");
  if (!trimmed) return null;
  return h("div", { className: "prose" }, inline(trimmed));
}

export function codeBlock(code, lang) {
  return h("div", { className: "code" },
    lang ? h("div", { className: "code-lang", text: lang }) : null,
    h("pre", null, h("code", { text: code })));
}

// Text with ``` fences as <pre><code>, the rest as pre-wrapped prose.
export function renderText(text) {
  const frag = document.createDocumentFragment();
  const src = String(text || "");
  let last = 0;
  for (const m of src.matchAll(FENCE)) {
    append(frag, [prose(src.slice(last, m.index)), codeBlock(m[2], m[1].trim())]);
    last = m.index + m[0].length;
  }
  append(frag, [prose(src.slice(last))]);
  return frag;
}

export function thinkingBlock(text) {
  const body = String(text || "").trim();
  const preview = truncate(body, 110);
  return h("details", { className: "thinking" },
    h("summary", null, h("span", { className: "thinking-label", text: "Thinking" }),
      h("span", { className: "thinking-preview", text: preview })),
    h("div", { className: "thinking-body" }, renderText(body)));
}

// Content as stored: text with [Thinking]…[/Thinking] sections.
const THINKING = /\[Thinking\]\n?([\s\S]*?)(?:\n?\[\/Thinking\]|$)/g;

export function contentSegments(content) {
  const out = [];
  const src = String(content || "");
  let last = 0;
  for (const m of src.matchAll(THINKING)) {
    if (m.index > last) out.push({ type: "text", text: src.slice(last, m.index) });
    out.push({ type: "thinking", text: m[1] });
    last = m.index + m[0].length;
  }
  if (last < src.length) out.push({ type: "text", text: src.slice(last) });
  return out;
}

// ---- tool calls -------------------------------------------------------------

function parseJson(text) {
  if (typeof text !== "string" || !text) return undefined;
  try { return JSON.parse(text); } catch { return undefined; }
}

const SUMMARY_KEYS = ["command", "file_path", "path", "pattern", "url", "query", "description",
  "prompt", "skill", "notebook_path"];

export function toolSummary(call) {
  const input = parseJson(call.input_json);
  if (!input || typeof input !== "object") return "";
  if (Array.isArray(input.todos)) return plural(input.todos.length, "item");
  for (const key of SUMMARY_KEYS) {
    if (typeof input[key] === "string" && input[key].trim()) return truncate(input[key], 160);
  }
  return "";
}

export function toolBlock(call, machine) {
  const error = Boolean(call.result_is_error);
  const input = parseJson(call.input_json);
  const pretty = input !== undefined ? JSON.stringify(input, null, 2) : (call.input_json || "");
  const hasResult = call.result_content !== null && call.result_content !== undefined;
  const length = call.result_length ?? (hasResult ? call.result_content.length : 0);
  const summary = toolSummary(call);

  const head = h("div", { className: "tool-head" },
    h("span", { className: "tool-name", text: call.tool_name || "tool" }),
    call.category && call.category !== "other" && call.category !== String(call.tool_name).toLowerCase()
      ? h("span", { className: `tool-cat cat-${call.category.replace(/[^a-z0-9_-]/gi, "")}`, text: call.category })
      : null,
    summary ? h("span", { className: "tool-summary", title: summary, text: summary }) : null,
    error ? h("span", { className: "tool-badge-error", text: "error" }) : null);

  const sections = [];
  if (pretty && pretty !== "{}") {
    sections.push(h("details", { className: "tool-section tool-input" },
      h("summary", { text: "Input" }), h("pre", null, h("code", { text: pretty }))));
  }
  if (hasResult) {
    sections.push(h("details", { className: `tool-section tool-result${error ? " is-error" : ""}` },
      h("summary", null, error ? "Error output" : "Result",
        h("span", { className: "muted", text: ` · ${plural(length, "char")}` })),
      h("pre", null, h("code", { text: call.result_content })),
      call.result_truncated
        ? h("p", { className: "tool-note",
          text: `Result truncated by av-cloud: only the first part of ${plural(length, "character")} was stored.` })
        : null));
  } else {
    sections.push(h("div", { className: "tool-noresult muted", text: "No result recorded" }));
  }
  if (call.subagent_session_id) {
    const id = `${machine}:${call.subagent_session_id}`;
    sections.push(h("a", { className: "subagent-link", href: `#/s/${encodeURIComponent(id)}`,
      text: "Open subagent session →" }));
  }
  return h("div", { className: `tool${error ? " tool-error" : ""}`, dataset: { tool: call.tool_name || "" } },
    head, sections);
}

// ---- one message ------------------------------------------------------------

const ROLE_LABEL = { user: "User", assistant: "Assistant", system: "System" };

function validBlocks(blocks) {
  return Array.isArray(blocks) && blocks.length > 0
    && blocks.every((b) => b && typeof b === "object" && typeof b.type === "string")
    && blocks.some((b) => ["text", "thinking", "tool_use"].includes(b.type));
}

function messageBody(msg, machine) {
  const body = [];
  const calls = Array.isArray(msg.tool_calls) ? msg.tool_calls : [];
  const used = new Set();
  if (validBlocks(msg.blocks)) {
    let nextCall = 0;
    for (const b of msg.blocks) {
      if (b.type === "text" && typeof b.text === "string") body.push(renderText(b.text));
      else if (b.type === "thinking" && typeof b.text === "string") body.push(thinkingBlock(b.text));
      else if (b.type === "tool_use") {
        let idx = calls.findIndex((c, i) => !used.has(i) && b.id && c.tool_use_id === b.id);
        if (idx < 0) { while (used.has(nextCall)) nextCall++; idx = nextCall < calls.length ? nextCall : -1; }
        if (idx >= 0) { used.add(idx); body.push(toolBlock(calls[idx], machine)); }
      }
    }
  } else {
    for (const seg of contentSegments(msg.content)) {
      body.push(seg.type === "thinking" ? thinkingBlock(seg.text) : renderText(seg.text));
    }
  }
  calls.forEach((c, i) => { if (!used.has(i)) body.push(toolBlock(c, machine)); });
  return body;
}

export function renderMessage(msg, machine) {
  const role = msg.is_system ? "system" : (ROLE_LABEL[msg.role] ? msg.role : "system");
  const tokens = (msg.input_tokens || 0) + (msg.output_tokens || 0);
  const head = h("header", { className: "msg-head" },
    h("span", { className: "msg-role", text: ROLE_LABEL[role] }),
    msg.model ? h("span", { className: "msg-model", text: msg.model }) : null,
    h("span", { className: "msg-spacer" }),
    tokens ? h("span", { className: "msg-tokens", title: `${msg.input_tokens || 0} in / ${msg.output_tokens || 0} out`,
      text: `${compact(msg.input_tokens)} in · ${compact(msg.output_tokens)} out` }) : null,
    msg.timestamp ? h("time", { className: "msg-time", datetime: msg.timestamp, title: absoluteTime(msg.timestamp),
      text: clockTime(msg.timestamp) }) : null,
    h("span", { className: "msg-ordinal", title: "Message number", text: `#${msg.ordinal}` }));
  return h("article", { className: `msg msg-${role}`, id: `m-${msg.ordinal}`, dataset: { ordinal: msg.ordinal } },
    head, h("div", { className: "msg-body" }, messageBody(msg, machine)));
}
