"""A session as one self-contained HTML file: inline CSS, no script, everything escaped.

The file is meant to be mailed or archived and opened anywhere, so it depends on
nothing (no fonts, no images, no JavaScript). Every piece of session text goes
through :func:`html.escape`; tool outputs are cut at :data:`EXPORT_TOOL_OUTPUT_CHARS`
so a session with megabyte logs stays a readable, bounded file.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

EXPORT_TOOL_OUTPUT_CHARS = 20_000
STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d1d1f;background:#fff}
header{border-bottom:1px solid #ddd;margin-bottom:1.5rem}h1{font-size:1.3rem;margin:.2rem 0}
.meta{color:#666;font-size:.85rem}.msg{border:1px solid #e3e3e3;border-radius:8px;margin:.8rem 0;padding:.6rem .9rem}
.user{background:#f3f7ff}.assistant{background:#fafafa}.system{background:#fff8e6}
.role{font-weight:600;font-size:.8rem;text-transform:uppercase;color:#555}.ts{color:#888;font-size:.8rem;margin-left:.5rem}
pre{white-space:pre-wrap;word-break:break-word;font:13px/1.45 ui-monospace,monospace;margin:.4rem 0}
details{margin:.3rem 0;border-left:3px solid #ccd;padding-left:.6rem}summary{cursor:pointer;color:#335}
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}.msg{border-color:#333}.user{background:#16202f}
.assistant{background:#1a1a1a}.system{background:#2a2414}.meta,.ts,.role{color:#aaa}summary{color:#9ab}}
"""
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def export_filename(session: dict[str, Any]) -> str:
    """``<project>-<date>.html`` as agentsview names it, reduced to safe characters."""
    project = (
        SAFE_NAME.sub("-", (session.get("project") or "session").rsplit("/", 1)[-1]).strip("-") or "session"
    )
    when = session.get("started_at") or session.get("created_at") or session.get("last_activity")
    day = when.date().isoformat() if isinstance(when, datetime) else "undated"
    return f"{project[:80]}-{day}.html"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _tool_call(call: dict[str, Any]) -> str:
    result = call.get("result_content") or ""
    cut = len(result) > EXPORT_TOOL_OUTPUT_CHARS
    note = " (cut for export)" if cut or call.get("result_truncated") else ""
    parts = [
        f"<details><summary>{_e(call.get('tool_name'))}{' — error' if call.get('result_is_error') else ''}"
        f"</summary>"
    ]
    if call.get("input_json"):
        parts.append(f"<pre>{_e(call['input_json'])}</pre>")
    if result:
        parts.append(
            f"<div class=meta>output{_e(note)}</div><pre>{_e(result[:EXPORT_TOOL_OUTPUT_CHARS])}</pre>"
        )
    parts.append("</details>")
    return "".join(parts)


def render_export(session: dict[str, Any], messages: list[dict[str, Any]], *, truncated: bool) -> str:
    title = session.get("display_name") or session.get("first_message") or session.get("session_id")
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width, initial-scale=1'>",
        f"<title>{_e(str(title)[:200])}</title><style>{STYLE}</style></head><body><header>",
        f"<h1>{_e(str(title)[:500])}</h1><div class=meta>{_e(session.get('agent'))} · {_e(session.get('project'))} · "
        f"{_e(session.get('machine'))} · {_e(session.get('started_at'))} · {_e(session.get('message_count'))} messages"
        f" · session {_e(session.get('id'))}</div></header><main>",
    ]
    for msg in messages:
        role = msg.get("role") if msg.get("role") in ("user", "assistant", "system") else "system"
        out.append(
            f"<section class='msg {role}' id='m{int(msg['ordinal'])}'><span class=role>{role}</span>"
            f"<span class=ts>#{int(msg['ordinal'])} {_e(msg.get('timestamp'))}</span>"
        )
        if msg.get("content"):
            out.append(f"<pre>{_e(msg['content'])}</pre>")
        out.extend(_tool_call(call) for call in msg.get("tool_calls", []))
        out.append("</section>")
    if truncated:
        out.append(f"<p class=meta>Only the first {len(messages)} messages are in this export.</p>")
    out.append("</main></body></html>")
    return "".join(out)
