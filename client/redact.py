"""Redaction of secrets before anything leaves the machine (on by default).

Rules: detect-secrets' provider rules, used as a library (client/provider_rules.py), plus
av-cloud's own table for the token shapes it lacks and for secrets known by context
(client/redact_rules.py), plus the user's (``redact_patterns`` and ``redact_rules_file``,
a gitleaks-format file, in config.json).
``av-client rules`` prints the table; docs/client.md ("Redaction") documents it.

Speed: every rule lists lowercase keywords that each of its matches contains. One
Aho-Corasick scan of the lowercased text (ahocorasick-rs) finds which keywords
occur, and only the rules owning one of them run — most text runs none. Rules
without keywords (user patterns) always run.

A match becomes ``[REDACTED:<kind>]`` in place of its secret group (the first
non-empty group, else the whole match), so the context
around a secret stays. Markers hold no quote or backslash, and values stop at
quotes and backslashes, so a redacted JSON tool input stays valid JSON.

Three shapes need more than one regex pass:
- *JSON-escaped text*: tool inputs are JSON, so a secret's quotes arrive as ``\\"``.
  Rules accept escaped quotes, and :meth:`Redactor.tool_input` also redacts the
  decoded JSON, field by field, with the key in view (``{"password": "…"}``).
- *line-split tokens* (terminal wrapping, ``\\n`` inside JSON): token rules
  (``joinable``) are also run over the text with those line breaks removed,
  and a match found there is redacted in the original, across the break.
- *base64-wrapped secrets*: a long base64 run is decoded; if the text inside holds
  a secret, the whole run is replaced (``[REDACTED:base64:<kind>]``).

Redaction runs on the wire form of a session before fingerprinting (see
:mod:`client.wire`), so the fingerprint describes exactly what the server holds.
Identifiers and metadata — cwd, git branch, model, tool names, session ids — are
never redacted: they are not free text, and changing them would break the session.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from typing import Any

import orjson
from ahocorasick_rs import AhoCorasick, Implementation

from client import gitleaks_rules
from client.gitleaks_rules import GitleaksRule
from client.redact_engine import (
    BASE64_MIN_RUN,
    MARKER,
    Rule,
    apply_rules,
    apply_split,
    base64_runs,
    continuation,
    decode_base64,
    finding,
    replace_spans,
)
from client.redact_rules import (
    BLOCK_RULES,
    CONTEXT_RULES,
    PASSWORD_WORDS,
    SECRET_WORDS,
    TOKEN_RULES,
    RuleSpec,
)

RULES_VERSION = "redact-v3"


def _own(spec: RuleSpec) -> Rule:
    return Rule(spec.kind, re.compile(spec.regex), spec.keywords, spec.description, joinable=spec.joinable)


def builtin_rules() -> tuple[Rule, ...]:
    """The built-in table in the order it runs: blocks, detect-secrets' providers, our token and
    context rules, then detect-secrets' backstops (narrower shapes of one of our context rules)."""
    # Imported here: detect-secrets takes ~0.1 s to import, which commands that never redact skip.
    from client.provider_rules import SOURCE, provider_rules

    provider: list[Rule] = []
    backstop: list[Rule] = []
    for p in provider_rules():
        rule = Rule(
            p.kind,
            p.pattern,
            p.keywords,
            p.description,
            SOURCE,
            joinable=not p.backstop,
            tail=p.tail,
        )
        (backstop if p.backstop else provider).append(rule)
    own = (*map(_own, TOKEN_RULES), *map(_own, CONTEXT_RULES))
    return (*map(_own, BLOCK_RULES), *provider, *own, *backstop)


class RedactionConfigError(ValueError):
    """A user pattern or rule in config.json is not valid."""


UserRule = str | dict[str, Any] | GitleaksRule


def compile_user_rules(entries: Iterable[UserRule]) -> tuple[Rule, ...]:
    """``redact_patterns`` in config.json: regex strings (kind ``custom``), or objects in gitleaks'
    rule shape — ``id``, ``regex``, optional ``keywords``, ``secretGroup``, ``entropy``, ``description``;
    and the rules of ``redact_rules_file`` (client/gitleaks_rules.py has read them already)."""
    rules = []
    for index, entry in enumerate(entries):
        if isinstance(entry, GitleaksRule):
            rules.append(
                Rule(
                    entry.id,
                    re.compile(entry.regex),
                    entry.keywords,
                    entry.description,
                    "config",
                    entry.secret_group,
                    entry.entropy,
                    entry.allowlists,
                    lead=entry.lead,
                )
            )
            continue
        where = f"redact_patterns[{index}]"
        spec: dict[str, Any] = {"regex": entry} if isinstance(entry, str) else entry
        if not isinstance(spec, dict) or not isinstance(spec.get("regex"), str):
            raise RedactionConfigError(f"{where} must be a regex string or an object with a 'regex' string")
        kind = spec.get("id", "custom")
        keywords = spec.get("keywords", [])
        if not isinstance(kind, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", kind):
            raise RedactionConfigError(f"{where}.id must be 1-64 letters, digits, '.', '_' or '-'")
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
            raise RedactionConfigError(f"{where}.keywords must be a list of non-empty strings")
        try:
            pattern = re.compile(
                spec["regex"] if isinstance(entry, str) else gitleaks_rules.translate(spec["regex"])
            )
            group = int(spec.get("secretGroup", 0))
            entropy = float(spec.get("entropy", 0.0))
            if group > pattern.groups or group < 0:
                raise ValueError(f"secretGroup {group} but the regex has {pattern.groups} groups")
        except (re.error, TypeError, ValueError) as exc:
            raise RedactionConfigError(f"{where} {spec['regex']!r} is not valid: {exc}") from None
        description = str(spec.get("description", "your rule (config.json)"))
        keys = tuple(k.lower() for k in keywords)
        rules.append(Rule(kind, pattern, keys, description, "config", group, entropy))
    return tuple(rules)


# JSON object keys whose string value is a secret, whatever it looks like ({"password": "…"}).
_SECRET_KEY = re.compile(
    rf"(?i)(?:[\w.-]*[_.-])?(?:{PASSWORD_WORDS}|pwd|{SECRET_WORDS}|[a-z]*(?:password|token|secret))"
)
_KEY_EXEMPT = re.compile(
    r"(?i).*(?:_?(?:type|name|id|file|path|url|uri|endpoint|length|count|size|hint|kind))"
)
_NOT_A_VALUE = re.compile(r"[$%<{]|\[REDACTED|\*+$")
SPLIT_WINDOW = (200, 800)  # a wrapped token is looked for this far before/after its keyword
# Text this long runs each rule only near its keywords: Python's re scans a whole 100 KB tool
# output at ~15 MB/s per rule when the pattern cannot start from a literal (\b, classes).
WINDOWED_MIN = 8192
WINDOW_BEFORE = 512  # gitleaks-format rules may allow 50 name characters before the keyword, ours less
WINDOW_AFTER = 2048  # then on to the first whitespace: tokens never contain any
_WHITESPACE = re.compile(r"\s")  # a wrapped token is looked for this far before/after its keyword


class Redactor:
    """Redacts text with the built-in rules plus the user's; counts what it replaced, per kind."""

    def __init__(self, extra: Iterable[UserRule] = ()) -> None:
        self.rules: tuple[Rule, ...] = builtin_rules() + compile_user_rules(extra)
        by_keyword: dict[str, set[int]] = {}
        for index, rule in enumerate(self.rules):
            for keyword in rule.keywords:
                by_keyword.setdefault(keyword, set()).add(index)
        self._keywords = sorted(by_keyword)
        self._by_keyword = [sorted(by_keyword[k]) for k in self._keywords]
        self._joinable_keywords = frozenset(
            n for n, k in enumerate(self._keywords) if any(self.rules[i].joinable for i in by_keyword[k])
        )
        self._scanner = AhoCorasick(self._keywords, implementation=Implementation.DFA)
        self._always = [i for i, r in enumerate(self.rules) if not r.keywords]
        self._keyword_ids = {
            id(rule): frozenset(n for n, k in enumerate(self._keywords) if k in rule.keywords)
            for rule in self.rules
        }
        self._rules_cache: dict[frozenset[int], tuple[Rule, ...]] = {}
        self._key_cache: dict[str, bool] = {}
        self.counts: Counter[str] = Counter()
        digest = hashlib.sha256()
        for rule in self.rules:
            digest.update(
                f"{rule.kind}\0{rule.pattern.pattern}\0{rule.entropy}\0{rule.secret_group}\0"
                f"{''.join(sorted(rule.tail))}\n".encode()
            )
        # Changes whenever the rule set does, so cached fingerprints are recomputed (client/state.py).
        self.key = f"{RULES_VERSION}:{digest.hexdigest()[:16]}"

    def describe(self) -> list[dict[str, Any]]:
        """The rule table as rows (``av-client rules``)."""
        return [
            {
                "kind": r.kind,
                "source": r.source,
                "keywords": list(r.keywords),
                "entropy": r.entropy,
                "description": r.description,
                "regex": r.pattern.pattern,
            }
            for r in self.rules
        ]

    # -- text ------------------------------------------------------------------------------------

    def _hits(self, text: str, *, lowered: bool = False) -> list[tuple[int, int, int]]:
        """(keyword, start, end) of every keyword in the text, case-insensitively."""
        # Overlapping: "db_password" must report "password" even if another keyword starts earlier.
        haystack = text if lowered else text.lower()
        return self._scanner.find_matches_as_indexes(haystack, overlapping=True)

    def _rules_for(self, hits: Iterable[tuple[int, int, int]]) -> tuple[Rule, ...]:
        keywords = frozenset(hit[0] for hit in hits)
        rules = self._rules_cache.get(keywords)
        if rules is None:
            indexes = set(self._always)
            for keyword in keywords:
                indexes.update(self._by_keyword[keyword])
            rules = tuple(self.rules[i] for i in sorted(indexes))
            if len(self._rules_cache) < 4096:  # texts share a few keyword sets; bounded all the same
                self._rules_cache[keywords] = rules
        return rules

    def text(self, text: str) -> str:
        counts = self.counts
        hits = self._hits(text)
        if hits or self._always:
            if "\n" in text or "\\n" in text:  # a real line break, or an escaped one
                text = self._split_tokens(text, hits)
            if len(text) < WINDOWED_MIN:
                text = apply_rules(text, self._rules_for(hits), counts)
            else:
                text = self._apply_windowed(text, hits)
        return self._base64(text, counts)

    def _apply_windowed(self, text: str, hits: list[tuple[int, int, int]]) -> str:
        """Long text: each rule runs only around its keywords (a rule's match contains one), from
        WINDOW_BEFORE characters before to the first whitespace WINDOW_AFTER characters after."""
        for rule in self._rules_for(hits):
            if not rule.keywords or rule.kind == "private-key":  # blocks span lines; user rules: anywhere
                text = apply_rules(text, (rule,), self.counts)
                continue
            mine = self._keyword_ids[id(rule)]
            spans: list[tuple[int, int]] = []
            last_end = -1
            for _, start, end in sorted((h for h in hits if h[0] in mine), key=lambda h: h[1]):
                if start < last_end:
                    continue
                lo = max(0, start - WINDOW_BEFORE)
                hi = _WHITESPACE.search(text, min(len(text), end + WINDOW_AFTER))
                hi_at = hi.start() if hi else len(text)
                for match in rule.pattern.finditer(text, max(lo, last_end), hi_at):
                    span = finding(rule, match)
                    if span is not None:
                        spans.append((span[0], continuation(text, span[1])))
                last_end = hi_at
            if spans:
                text = replace_spans(text, spans, rule.kind, self.counts)
                hits = self._hits(text)  # positions moved
        return text

    def _split_tokens(self, text: str, hits: list[tuple[int, int, int]]) -> str:
        """Wrapped tokens, looked for only in windows around the keywords of token rules."""
        before, after = SPLIT_WINDOW
        windows: list[list[int]] = []
        for keyword, start, _ in hits:
            if keyword not in self._joinable_keywords:
                continue
            lo, hi = max(0, start - before), min(len(text), start + after)
            if windows and lo <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], hi)
            else:
                windows.append([lo, hi])
        for lo, hi in reversed(windows):  # from the end, so earlier windows keep their offsets
            window = text[lo:hi]
            if "\n" not in window and "\\n" not in window:  # a real line break, or an escaped one
                continue
            rules = [r for r in self._rules_for(self._hits(window)) if r.joinable]
            redacted = apply_split(window, rules, self.counts)
            if redacted is not window:
                text = text[:lo] + redacted + text[hi:]
        return text

    def _base64(self, text: str, counts: Counter[str]) -> str:
        if len(text) < BASE64_MIN_RUN:
            return text
        for start, end in reversed(base64_runs(text)):
            inner = decode_base64(text[start:end])
            if inner is None:
                continue
            hits = self._hits(inner)
            if not hits:
                continue
            found: Counter[str] = Counter()
            apply_rules(inner, self._rules_for(hits), found)
            if found:
                kind = "base64:" + found.most_common(1)[0][0]
                counts[kind] += 1
                text = text[:start] + MARKER.format(kind=kind) + text[end:]
        return text

    def _secret_key(self, key: str) -> bool:
        known = self._key_cache.get(key)
        if known is None:
            known = _is_secret_key(key)
            if len(self._key_cache) < 4096:  # block keys repeat ("type", "text", "input", …)
                self._key_cache[key] = known
        return known

    # -- structured values ------------------------------------------------------------------------

    def value(self, value: Any) -> Any:
        """Redact every string inside a JSON-like value; a string under a secret-named key entirely."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k == "type":
                    out[k] = v
                elif (
                    isinstance(v, str) and isinstance(k, str) and self._secret_key(k) and _is_secret_value(v)
                ):
                    self.counts["secret-field"] += 1
                    out[k] = MARKER.format(kind="secret-field")
                else:
                    out[k] = self.value(v)
            return out
        return value

    def tool_input(self, raw: str) -> str:
        """A tool call's input (JSON text). Rules accept JSON-escaped quotes and line breaks, so one
        pass over the raw text finds what a pass over the decoded strings would; should a
        replacement ever break the JSON, the decoded value is redacted field by field instead."""
        before = self.counts.copy()
        redacted = self.text(raw)
        if redacted == raw:
            return raw
        try:
            orjson.loads(redacted)
            return redacted
        except orjson.JSONDecodeError:
            pass
        try:
            decoded = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return redacted  # it was not JSON to begin with
        self.counts.clear()  # count each secret once: as the field-by-field pass finds it
        self.counts.update(before)
        return orjson.dumps(self.value(decoded)).decode()

    def session(self, session: dict[str, Any]) -> dict[str, Any]:
        """Redact a wire session (before sealing) in place and return it.

        Free text only: first message, display name, message text and blocks, tool inputs
        and results. Never cwd, git branch, project, model, tool names or ids.
        """
        slots: list[tuple[Any, Any, bool]] = []  # (container, key, is a tool input)
        for key in ("first_message", "display_name"):
            if session.get(key):
                slots.append((session, key, False))
        for message in session["messages"]:
            if message["content"]:
                slots.append((message, "content", False))
            if message.get("blocks"):
                self._collect(message["blocks"], slots)
            for call in message.get("tool_calls") or ():
                if call.get("input_json"):
                    slots.append((call, "input_json", True))
                if call.get("result_content"):
                    slots.append((call, "result_content", False))
        for index in self._needing_a_pass([container[key] for container, key, _ in slots]):
            container, key, is_input = slots[index]
            container[key] = (self.tool_input if is_input else self.text)(container[key])
        return session

    def _collect(self, value: Any, slots: list[tuple[Any, Any, bool]]) -> None:
        """The strings inside blocks, as slots; a string under a secret-named key is replaced now."""
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(item, str):
                if key == "type":
                    continue
                if isinstance(key, str) and self._secret_key(key) and _is_secret_value(item):
                    self.counts["secret-field"] += 1
                    value[key] = MARKER.format(kind="secret-field")
                else:
                    slots.append((value, key, False))
            elif isinstance(item, dict | list):
                self._collect(item, slots)

    def _needing_a_pass(self, texts: list[str]) -> list[int]:
        """Which texts hold a keyword or a base64 run: found with one scan of them all, so the many
        short strings of a session (most with nothing to redact) cost a share of one scan each."""
        if self._always:
            return list(range(len(texts)))
        joined = "\0".join(texts)
        lowered = joined.lower()
        if len(lowered) != len(joined):  # a character whose lower case is longer (İ): scan one by one
            return [i for i, t in enumerate(texts) if self._hits(t) or base64_runs(t)]
        starts, position = [], 0
        for t in texts:
            starts.append(position)
            position += len(t) + 1
        found = {bisect_right(starts, hit[1]) - 1 for hit in self._hits(lowered, lowered=True)}
        if len(joined) >= BASE64_MIN_RUN:
            raw = joined.encode("utf-8", "surrogatepass")
            if len(raw) == len(joined):
                found.update(bisect_right(starts, run[0]) - 1 for run in base64_runs(joined))
            else:
                found.update(i for i, t in enumerate(texts) if len(t) >= BASE64_MIN_RUN and base64_runs(t))
        return sorted(found)


def _is_secret_key(key: str) -> bool:
    return len(key) <= 64 and bool(_SECRET_KEY.fullmatch(key)) and not _KEY_EXEMPT.fullmatch(key)


def _is_secret_value(value: str) -> bool:
    return (
        bool(value)
        and not _NOT_A_VALUE.match(value)
        and value.lower() not in ("true", "false", "null", "none")
    )


NO_REDACTION_KEY = "redact-off"
