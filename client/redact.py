"""Redaction of secrets before anything leaves the machine (on by default).

Design: a table of rules, each a compiled regex plus the plain substrings
("needles") that every match must contain. One precompiled alternation of all
needles scans each text once; a rule's regex runs only when one of its needles
was found, so the common case — a message with no secret-looking text at all —
costs a single C-level scan instead of fifteen regex passes. Rules with no
cheap needle (user patterns from ``config.json``) always run.

Every match becomes ``[REDACTED:<kind>]``; rules that keep context (the user
name in ``scheme://user:password@host``, the variable name in ``API_KEY=…``)
keep it through a ``\\g<keep>`` group. Markers contain no quote or backslash and
value classes stop at ``"``, ``'`` and ``\\``, so a redacted ``input_json``
stays valid JSON.

Redaction runs on the wire form of a session before fingerprinting (see
:mod:`client.wire`): content, every string inside blocks, tool inputs and
results, first message and display name. The fingerprint therefore describes
exactly what the server holds.

A maintained detector (Yelp's detect-secrets) was measured against this
table on the demo corpus; see docs/client.md ("Redaction") and
bench/client_redact.py for the figures and why the regex table won.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

MARKER = "[REDACTED:{kind}]"

# Value characters for KEY=value and URL passwords: never a quote, backslash or space,
# so JSON-escaped text (tool inputs) keeps its structure after replacement.
_VALUE = r"""[^\s"'\\`,;]"""
_ENV_NAMES = r"[A-Z0-9_]*(?:SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH_KEY)[A-Z0-9_]*"


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...]  # a match always contains one of these; () = always search
    keep: bool = False  # the pattern has a (?P<keep>…) group kept before the marker

    def replacement(self) -> str:
        marker = MARKER.format(kind=self.kind)
        return r"\g<keep>" + marker if self.keep else marker.replace("\\", "\\\\")


def _rule(kind: str, regex: str, *needles: str, keep: bool = False, flags: int = 0) -> Rule:
    return Rule(kind, re.compile(regex, flags), tuple(needles), keep)


BUILTIN_RULES: tuple[Rule, ...] = (
    # Blocks first: a private key or JWT must not be half-eaten by a narrower rule.
    _rule(
        "private-key",
        r"-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY( BLOCK)?-----"
        r"(?:[\s\S]{0,65536}?-----END[A-Z0-9 ]{0,40} PRIVATE KEY( BLOCK)?-----|(?:[A-Za-z0-9+/=\s:,-]|\\[nr])*)",
        "PRIVATE KEY",
    ),
    _rule("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", "eyJ"),
    _rule(
        "aws-access-key",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
        "AKIA",
        "ASIA",
        "ABIA",
        "ACCA",
        "AGPA",
        "AIDA",
        "AROA",
        "ANPA",
        "ANVA",
        "AIPA",
    ),
    _rule(
        "aws-secret-key",
        r"(?P<keep>(?i:aws_?secret_?access_?key|aws_?secret|secret_?access_?key)[\"']?\s*[:=]\s*[\"']?)"
        r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])",
        "ecret",
        "ECRET",
        keep=True,
    ),
    _rule(
        "github-token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})",
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
    ),
    _rule("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{20,}", "sk-ant-"),
    _rule("openai-key", r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", "sk-"),
    _rule("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}", "xox"),
    _rule(
        "slack-webhook",
        r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,}",
        "hooks.slack.com",
    ),
    _rule(
        "stripe-key",
        r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|\bwhsec_[A-Za-z0-9]{24,}",
        "_live_",
        "_test_",
        "whsec_",
    ),
    _rule("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}", "AIza"),
    _rule("google-oauth-token", r"\bya29\.[0-9A-Za-z_-]{20,}", "ya29."),
    # scheme://user:password@host — any scheme, so DSNs (postgres://, mysql://, redis://, amqp://) too.
    _rule(
        "url-password",
        r"(?P<keep>\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@\"'\\]{0,256}:)(?!\[REDACTED)"
        r"[^\s\"'\\`,;/@]{1,256}(?=@[^\s@])",
        "://",
        keep=True,
    ),
    # libpq key=value DSNs: password=… (also inside quotes of a connection string).
    _rule(
        "dsn-password",
        r"(?P<keep>\b(?i:password|passwd|pwd)=)(?![$[])" + _VALUE + "+",
        "password=",
        "PASSWORD=",
        "passwd=",
        "pwd=",
        "Password=",
        keep=True,
    ),
    # .env / shell style: NAME_WITH_SECRET_WORD=value (upper-case names only, so code such as
    # `token = get_token()` is left alone); a value that is a $VARIABLE reference is not a secret.
    _rule(
        "env-secret",
        r"(?P<keep>\b" + _ENV_NAMES + r"[ \t]*[:=][ \t]*(?:\\?[\"'])?)(?![$\[])" + _VALUE + r"{3,}",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "ACCESSKEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
        "AUTH_KEY",
        keep=True,
    ),
)


class RedactionConfigError(ValueError):
    """A user pattern in config.json does not compile."""


def compile_user_patterns(patterns: list[str]) -> tuple[Rule, ...]:
    rules = []
    for index, regex in enumerate(patterns):
        try:
            rules.append(Rule("custom", re.compile(regex), ()))
        except re.error as exc:
            raise RedactionConfigError(
                f"redact_patterns[{index}] {regex!r} is not a valid regex: {exc}"
            ) from None
    return tuple(rules)


class Redactor:
    """Redacts text with the built-in rules plus the user's; counts what it replaced, per kind."""

    def __init__(self, extra_patterns: list[str] | tuple[str, ...] = ()) -> None:
        self.rules = BUILTIN_RULES + compile_user_patterns(list(extra_patterns))
        self._compiled = [(r.pattern, frozenset(r.needles), r.replacement(), r.kind) for r in self.rules]
        needles = sorted({n for r in self.rules for n in r.needles}, key=lambda n: (-len(n), n))
        # One C-speed scan for every needle at once; most texts contain none and cost just this.
        self._prefilter = re.compile("|".join(map(re.escape, needles)))
        self._always = any(not r.needles for r in self.rules)
        self.counts: Counter[str] = Counter()
        self.key = "redact-v1:" + "\x00".join(extra_patterns)  # changes when the rule set does

    def text(self, text: str) -> str:
        found = {m.group() for m in self._prefilter.finditer(text)}
        if not found and not self._always:
            return text
        for pattern, needles, replacement, kind in self._compiled:
            # Needle matches do not overlap, so a found "PASSWORD=" must also count as "PASSWORD".
            if needles and found.isdisjoint(needles) and not any(n in f for f in found for n in needles):
                continue
            text, n = pattern.subn(replacement, text)
            if n:
                self.counts[kind] += n
        return text

    def value(self, value: Any) -> Any:
        """Redact every string inside a JSON-like value (block lists, dicts)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: (v if k == "type" else self.value(v)) for k, v in value.items()}
        return value

    def session(self, session: dict[str, Any]) -> dict[str, Any]:
        """Redact a wire session (before sealing) in place and return it."""
        for key in ("first_message", "display_name"):
            if session.get(key):
                session[key] = self.text(session[key])
        text = self.text
        for message in session["messages"]:
            message["content"] = text(message["content"])
            if message.get("blocks"):
                message["blocks"] = self.value(message["blocks"])
            for call in message.get("tool_calls") or ():
                if call.get("input_json"):
                    call["input_json"] = text(call["input_json"])
                if call.get("result_content"):
                    call["result_content"] = text(call["result_content"])
        return session


NO_REDACTION_KEY = "redact-off"
