"""gitleaks' published rule set, read as data (client/rules/gitleaks.toml, MIT; see client/rules/README.md).

gitleaks maintains ~220 provider rules (GitLab, Hugging Face, npm, SendGrid, Slack
app tokens, …), each a regex with the lowercase keywords every match contains, an
optional Shannon-entropy floor and allowlists. We load them as they are and apply
the same semantics as gitleaks' detector (detect/detect.go): the secret is the
``secretGroup`` or the first non-empty group (else the whole match); a secret whose
entropy is not above the rule's floor, or that an allowlist (global or the rule's)
lets through, is not a finding. Path-only rules (files named like key stores) do
not apply to text and are skipped.

The regexes are Go RE2 syntax. Python's ``re`` reads all of them after two
translations, both checked by a test over the whole file: a ``(?i)`` in the middle
of a pattern (RE2: "case-insensitive from here to the end of the group") becomes a
scoped ``(?i:…)`` per alternative, and ``\\z`` becomes ``\\Z``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

RULES_FILE = "gitleaks.toml"


@dataclass(frozen=True)
class Allowlist:
    """Findings this lets through: any regex matching the target (the secret, the match or its line), or a stopword."""

    regexes: tuple[re.Pattern[str], ...]
    stopwords: tuple[str, ...]
    target: str = "secret"  # "secret" | "match" | "line"

    def allows(self, secret: str, match: str, line: str) -> bool:
        subject = {"match": match, "line": line}.get(self.target, secret)
        if subject and any(rx.search(subject) for rx in self.regexes):
            return True
        lowered = secret.lower()
        return any(word in lowered for word in self.stopwords)


def translate(regex: str) -> str:
    """RE2 → Python ``re``: scope mid-pattern ``(?i)`` flags and spell ``\\z`` as ``\\Z``."""
    out: list[str] = []
    # Per open group: how many scoped flag groups we opened in it (closed at its ')' and re-opened after each '|').
    pending: list[list[str]] = [[]]
    i, n, in_class = 0, len(regex), False
    while i < n:
        ch = regex[i]
        if ch == "\\" and i + 1 < n:
            nxt = regex[i + 1]
            out.append("\\Z" if nxt == "z" and not in_class else ch + nxt)
            i += 2
            continue
        if in_class:
            if ch == "]" and out and out[-1] not in ("[", "[^"):
                in_class = False
            out.append("\\[" if ch == "[" else ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            if regex.startswith("[^", i):
                out.append("[^")
                i += 2
            else:
                out.append("[")
                i += 1
            if i < n and regex[i] == "]":  # a leading ']' is a literal
                out.append("\\]")
                i += 1
            continue
        flag = re.match(r"\(\?([a-zA-Z]+)\)", regex[i:])
        if flag and (i > 0 or pending[-1]):
            out.append(f"(?{flag.group(1)}:")
            pending[-1].append(flag.group(1))
            i += flag.end()
            continue
        if ch == "(":
            pending.append([])
        elif ch == ")":
            out.append(")" * len(pending.pop()))
        elif ch == "|" and pending[-1]:
            out.append(")" * len(pending[-1]) + "|" + "".join(f"(?{f}:" for f in pending[-1]))
            i += 1
            continue
        out.append(ch)
        i += 1
    out.append(")" * len(pending[0]))
    return "".join(out)


def _allowlist(spec: dict[str, Any]) -> Allowlist | None:
    if spec.get("paths") and spec.get("condition") == "AND":
        return None  # scoped to file paths (e.g. BitBake recipes): never applies to session text
    regexes = tuple(re.compile(translate(rx)) for rx in spec.get("regexes", ()))
    stopwords = tuple(w.lower() for w in spec.get("stopwords", ()))
    if not regexes and not stopwords:
        return None
    return Allowlist(regexes, stopwords, spec.get("regexTarget", "secret"))


# gitleaks' "semi-generic" rules open with up to 50 name characters before the keyword. They are
# part of the match, never of the secret; a backtracking engine pays ~50 steps per position for
# them (~20x slower), so the search drops them and the match is extended backwards afterwards
# (``lead``), which gives allowlists that test the whole match the same text.
_LEAD = re.compile(r"^(\(\?i\))?\[\\w\.-\]\{0,50\}\?")
LEAD_CHARS = 50


def split_lead(regex: str) -> tuple[str, int]:
    """The regex without gitleaks' leading ``[\\w.-]{0,50}?``, and how many characters it allowed."""
    match = _LEAD.match(regex)
    if match is None:
        return regex, 0
    return (match.group(1) or "") + regex[match.end() :], LEAD_CHARS


@dataclass(frozen=True)
class GitleaksRule:
    id: str
    description: str
    regex: str  # translated to Python syntax, without a leading [\w.-]{0,50}? (see split_lead)
    lead: int
    keywords: tuple[str, ...]
    entropy: float
    secret_group: int
    allowlists: tuple[Allowlist, ...]


@dataclass(frozen=True)
class GitleaksRuleSet:
    version: str
    rules: tuple[GitleaksRule, ...]
    global_allowlist: Allowlist


@cache
def load() -> GitleaksRuleSet:
    data = tomllib.loads(resources.files("client.rules").joinpath(RULES_FILE).read_text("utf-8"))
    rules = []
    for spec in data["rules"]:
        if "regex" not in spec:
            continue  # path-only rule
        if "path" in spec:
            continue  # applies to files of a given name only
        allow = tuple(a for a in map(_allowlist, spec.get("allowlists", ())) if a is not None)
        regex, lead = split_lead(translate(spec["regex"]))
        rules.append(
            GitleaksRule(
                id=spec["id"],
                description=spec.get("description", ""),
                regex=regex,
                lead=lead,
                keywords=tuple(k.lower() for k in spec.get("keywords", ())),
                entropy=float(spec.get("entropy", 0.0)),
                secret_group=int(spec.get("secretGroup", 0)),
                allowlists=allow,
            )
        )
    glob = _allowlist(data.get("allowlist", {})) or Allowlist((), ())
    return GitleaksRuleSet(data.get("minVersion", ""), tuple(rules), glob)
