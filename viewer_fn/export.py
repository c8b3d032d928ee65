"""A session as one self-contained HTML file: inline CSS, no script, everything escaped.

The file is meant to be mailed or archived and opened anywhere, so it depends on
nothing (no fonts, no images, no JavaScript). Every piece of session text goes
through :func:`html.escape`. Texts are cut at :data:`EXPORT_TEXT_CHARS` (saying how
much was left out), and one file holds at most :data:`EXPORT_BYTES`: a longer
session is exported in parts, each ending with where the next one starts (the
route adds a ``Link: rel="next"`` header), so no export passes Lambda's 6 MB.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

EXPORT_TEXT_CHARS = 20_000
EXPORT_BYTES = 4_500_000  # one file, one response: under budget.RESPONSE_LIMIT_BYTES
# A first message too big for a file on its own is cut harder, down to no text at all.
HARDER_CUTS = (2_000, 200, 0)
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


def export_filename(session: dict[str, Any], start: int = 0) -> str:
    """``<project>-<date>.html`` as agentsview names it, reduced to safe characters; a later
    part is ``<project>-<date>-from-<ordinal>.html``."""
    project = (
        SAFE_NAME.sub("-", (session.get("project") or "session").rsplit("/", 1)[-1]).strip("-") or "session"
    )
    when = session.get("started_at") or session.get("created_at") or session.get("last_activity")
    day = when.date().isoformat() if isinstance(when, datetime) else "undated"
    part = f"-from-{start}" if start else ""
    return f"{project[:80]}-{day}{part}.html"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _text(text: str | None, total: int | None, cut: int) -> tuple[str, str]:
    """The text to show (at most ``cut`` characters) and a note when some was left out."""
    text = text or ""
    full = total if total is not None else len(text)
    if full <= cut:
        return text, ""
    return text[:cut], f" (cut: {full - cut:,} more characters; the viewer shows all of it)"


def _tool_call(call: dict[str, Any], cut: int) -> str:
    result, result_note = _text(call.get("result_content"), call.get("result_chars"), cut)
    if call.get("result_truncated") and not result_note:
        result_note = " (cut by the agent)"
    given, given_note = _text(call.get("input_json"), call.get("input_chars"), cut)
    parts = [
        f"<details><summary>{_e(call.get('tool_name'))}{' — error' if call.get('result_is_error') else ''}"
        f"</summary>"
    ]
    if given or given_note:
        parts.append(
            f"<pre>{_e(given)}</pre>{f'<div class=meta>input{_e(given_note)}</div>' if given_note else ''}"
        )
    if result or result_note:
        parts.append(f"<div class=meta>output{_e(result_note)}</div><pre>{_e(result)}</pre>")
    parts.append("</details>")
    return "".join(parts)


def _message(msg: dict[str, Any], cut: int) -> str:
    role = msg.get("role") if msg.get("role") in ("user", "assistant", "system") else "system"
    out = [
        f"<section class='msg {role}' id='m{int(msg['ordinal'])}'><span class=role>{role}</span>"
        f"<span class=ts>#{int(msg['ordinal'])} {_e(msg.get('timestamp'))}</span>"
    ]
    content, note = _text(msg.get("content"), msg.get("content_chars"), cut)
    if content or note:
        out.append(f"<pre>{_e(content)}</pre>{f'<div class=meta>{_e(note.strip())}</div>' if note else ''}")
    out.extend(_tool_call(call, cut) for call in msg.get("tool_calls", []))
    out.append("</section>")
    return "".join(out)


def _head(session: dict[str, Any], first: int) -> str:
    title = session.get("display_name") or session.get("first_message") or session.get("session_id")
    part = f" · from message {first}" if first else ""
    return "".join(
        [
            "<!doctype html><html lang=en><head><meta charset=utf-8>",
            "<meta name=viewport content='width=device-width, initial-scale=1'>",
            f"<title>{_e(str(title)[:200])}</title><style>{STYLE}</style></head><body><header>",
            f"<h1>{_e(str(title)[:500])}</h1><div class=meta>{_e(session.get('agent'))} · "
            f"{_e(session.get('project'))} · {_e(session.get('machine'))} · {_e(session.get('started_at'))} · "
            f"{_e(session.get('message_count'))} messages · session {_e(session.get('id'))}{_e(part)}</div>"
            "</header><main>",
        ]
    )


def export_part(
    session: dict[str, Any], batches: Iterable[list[dict[str, Any]]], *, first: int
) -> tuple[str, int | None]:
    """One file of the export from ordinal ``first`` on, at most EXPORT_BYTES of UTF-8, and the
    ordinal where the next part starts (None when this part reaches the end)."""
    out = [_head(session, first)]
    tail = "</main></body></html>"
    used = len(out[0].encode()) + len(tail) + 400  # the closing note
    count, next_from = 0, None
    for batch in batches:
        for msg in batch:
            html_text = _message(msg, EXPORT_TEXT_CHARS)
            if count == 0:
                for cut in HARDER_CUTS:
                    if used + len(html_text.encode()) <= EXPORT_BYTES:
                        break
                    html_text = _message(msg, cut)
            size = len(html_text.encode())
            if count and used + size > EXPORT_BYTES:
                next_from = int(msg["ordinal"])
                break
            out.append(html_text)
            used, count = used + size, count + 1
        if next_from is not None:
            break
    if next_from is not None:
        out.append(
            f"<p class=meta>This file holds {count:,} messages; the export continues from message "
            f"{next_from} in the next part.</p>"
        )
    out.append(tail)
    return "".join(out), next_from
