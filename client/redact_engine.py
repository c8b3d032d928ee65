"""The mechanics of applying redaction rules to one text (client/redact.py holds the table and the walk).

A rule is a regex plus the lowercase keywords each match contains. A match is a
finding when its secret (the first non-empty group, else the whole match; gitleaks'
convention) carries more entropy than the rule's floor and no allowlist lets it
through; its secret is replaced by ``[REDACTED:<kind>]``, the context around it kept.

Secrets in agent logs also come wrapped: a terminal wraps a long token onto the next
line (``continuation`` extends a secret that ends a long line; ``apply_split`` runs
token rules over the text with those line breaks removed), and ``echo … | base64``
hides one inside a base64 run (``base64_runs`` finds runs that may encode text).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from client.gitleaks_rules import Allowlist

MARKER = "[REDACTED:{kind}]"
SECRET_STOP = frozenset("\"'`\\ \t\r\n")  # never inside a secret a rule with a ``tail`` reports


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...]  # lowercase; every match contains one; () = the rule always runs
    description: str = ""
    source: str = "av-cloud"  # "av-cloud" | "detect-secrets" | "config"
    secret_group: int = 0  # 0: the first non-empty group, else the whole match
    entropy: float = 0.0  # the secret must carry more Shannon entropy (bits per character) than this
    allowlists: tuple[Allowlist, ...] = ()
    joinable: bool = False  # also looked for with line breaks inside tokens removed
    lead: int = 0  # name characters ([\w.-]) before the match that belong to it (gitleaks_rules.split_lead)
    # Token characters the secret runs on over past the match; and it stops before a quote, backslash
    # or space inside it (client/provider_rules.py: regexes written to report a secret, not to cut it
    # out exactly, e.g. one ending in ``.+``).
    tail: frozenset[str] = frozenset()


def shannon_entropy(text: str) -> float:
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


# Line breaks inside a token: terminal wrapping, or \n escaped in JSON.
BREAK = re.compile(r"\r?\n|\\(?:r\\)?n")
WRAP_MIN_LINE = 40  # a secret ending a line at least this long may continue on the next (terminal wrap)
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.")
BASE64_MIN_RUN = 24  # shorter runs cannot wrap a secret worth finding (and are everywhere in code)
BASE64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-="
# bytes.translate maps base64 characters to "a" and everything else to " ", so runs are found by
# bytes.find at C speed (Python's re scans such classes at ~20 MB/s).
BASE64_MAP = bytes(ord("a") if b in BASE64_CHARS else ord(" ") for b in range(256))
BASE64_NEEDLE = b"a" * BASE64_MIN_RUN
ASCII_LEAD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef")


def base64_runs(text: str) -> list[tuple[int, int]]:
    """Spans of runs of base64 characters at least BASE64_MIN_RUN long that may encode ASCII text."""
    raw = text.encode("utf-8", "surrogatepass")
    mapped = raw.translate(BASE64_MAP)
    spans, at = [], mapped.find(BASE64_NEEDLE)
    while at >= 0:
        start = mapped.rfind(b" ", 0, at) + 1
        end = mapped.find(b" ", at)
        end = len(mapped) if end < 0 else end
        spans.append((start, end))
        at = mapped.find(BASE64_NEEDLE, end)
    out = []
    for start, end in spans:
        run = raw[start:end].decode("ascii")
        if run[0] not in ASCII_LEAD and "=" not in run:
            continue  # paths (/home/…), rules (____): not base64 of text
        if len(raw) != len(text):  # byte offsets → character offsets (the run itself is ASCII)
            start = len(raw[:start].decode("utf-8", "surrogatepass"))
        # NAME=<base64>, a=b&c=d: '=' inside a run separates candidates; '=' at the end is padding.
        position, body = start, run.rstrip("=")
        padding = len(run) - len(body)
        for part in body.split("="):
            # Base64 of ASCII text: every 4th character encodes a byte's top six bits, < 32.
            if len(part) >= BASE64_MIN_RUN and all(
                part[i] in ASCII_LEAD for i in range(0, min(len(part), 48), 4)
            ):
                last = position + len(part) == start + len(body)
                out.append((position, position + len(part) + (padding if last else 0)))
            position += len(part) + 1
    return out


def secret_span(match: re.Match[str], group: int) -> tuple[int, int]:
    if group:
        return match.span(group)
    for index in range(1, (match.re.groups or 0) + 1):
        start, end = match.span(index)
        if end > start:
            return start, end
    return match.span()


def finding(rule: Rule, match: re.Match[str]) -> tuple[int, int] | None:
    """The secret's span if this match is a finding (entropy, allowlists), else None."""
    start, end = secret_span(match, rule.secret_group)
    text = match.string
    if rule.tail:
        stop = start
        while stop < end and text[stop] not in SECRET_STOP:
            stop += 1
        if stop == end:
            while end < len(text) and text[end] in rule.tail:
                end += 1
        else:
            end = stop
    # Never cut an escape sequence in half: JSON text must stay JSON (\" must keep its backslash).
    while end > start and text[end - 1] == "\\":
        end -= 1
    if start > 0 and text[start - 1] == "\\":
        start += 1
    if start < 0 or end <= start:
        return None
    secret = text[start:end]
    if secret.startswith("[REDACTED:"):
        return None
    if rule.entropy and shannon_entropy(secret) <= rule.entropy:
        return None
    if rule.allowlists:
        begin = match.start()
        floor = max(0, begin - rule.lead)
        while begin > floor and (text[begin - 1].isalnum() or text[begin - 1] in "_.-"):
            begin -= 1
        line_start = text.rfind("\n", 0, begin) + 1
        line_end = text.find("\n", match.end())
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        if any(a.allows(secret, text[begin : match.end()], line) for a in rule.allowlists):
            return None
    return start, end


def continuation(text: str, end: int) -> int:
    """Where a secret that ends a long line really ends: a terminal wraps long tokens onto the next line."""
    brk = BREAK.match(text, end)
    if brk is None or end - (text.rfind("\n", 0, end) + 1) < WRAP_MIN_LINE:
        return end
    tail = brk.end()
    while tail < len(text) and text[tail] in TOKEN_CHARS:
        tail += 1
    return tail if tail > brk.end() else end


def apply_rules(text: str, rules: Iterable[Rule], counts: Counter[str]) -> str:
    for rule in rules:
        if rule.pattern.search(text) is None:  # the common case: cheaper than setting up finditer
            continue
        spans = []
        for match in rule.pattern.finditer(text):
            span = finding(rule, match)
            if span is not None:
                spans.append((span[0], continuation(text, span[1])))
        if spans:
            text = replace_spans(text, spans, rule.kind, counts)
    return text


def replace_spans(text: str, spans: list[tuple[int, int]], kind: str, counts: Counter[str]) -> str:
    marker = MARKER.format(kind=kind)
    out: list[str] = []
    last = 0
    for start, end in sorted(spans):
        if start < last:
            continue  # overlaps the previous one (a continuation ran into the next match)
        out += (text[last:start], marker)
        counts[kind] += 1
        last = end
    out.append(text[last:])
    return "".join(out)


def apply_split(text: str, rules: Iterable[Rule], counts: Counter[str]) -> str:
    """Tokens wrapped across line breaks: token rules run over the text with those breaks removed,
    and what they find there is redacted in the original, breaks included."""
    if not rules:
        return text
    chars = TOKEN_CHARS
    breaks = [
        (start, end)
        for start, end in (m.span() for m in BREAK.finditer(text))
        if 4 <= start
        and end < len(text)
        and text[end] in chars
        and text[start - 1] in chars
        and text[start - 4] in chars
        and text[start - 2] in chars
        and text[start - 3] in chars
    ]
    if not breaks:
        return text
    pieces, joined_at, removed, last = [], [], [], 0
    position = 0
    for start, end in breaks:
        pieces.append(text[last:start])
        position += start - last
        joined_at.append(position)
        removed.append(end - start)
        last = end
    pieces.append(text[last:])
    joined = "".join(pieces)

    def to_original(position: int) -> int:
        return position + sum(length for at, length in zip(joined_at, removed, strict=True) if at <= position)

    for rule in rules:
        spans = []
        for match in rule.pattern.finditer(joined):
            span = finding(rule, match)
            if span is not None and any(span[0] < at < span[1] for at in joined_at):
                spans.append((to_original(span[0]), to_original(span[1] - 1) + 1))
        if spans:
            # Redacting moves what follows: re-run on the result rather than mapping twice.
            return apply_split(replace_spans(text, spans, rule.kind, counts), rules, counts)
    return text


def decode_base64(run: str) -> str | None:
    """The text inside a base64 run, or None if it is not printable UTF-8 text."""
    padded = run + "=" * (-len(run) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded) if ("-" in run or "_" in run) else base64.b64decode(padded)
        inner = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if len(inner) < 12 or not inner.replace("\n", "").replace("\t", "").replace("\r", "").isprintable():
        return None
    return inner
