"""Your own rule file in gitleaks' format (``redact_rules_file`` in config.json; docs/client.md).

Many organisations keep their secret shapes as a gitleaks configuration (TOML: ``[[rules]]``
with ``id``, ``regex``, ``keywords``, ``secretGroup``, ``entropy``, ``allowlists``, and a
global ``[allowlist]``). av-client loads such a file and adds its rules to the built-in
table, with gitleaks' semantics: the secret is the ``secretGroup`` or the first non-empty
group (else the whole match); a secret whose entropy is not above the rule's floor, or
that an allowlist (global or the rule's) lets through, is not a finding. Rules that match
file paths only do not apply to session text and are skipped. No rule file ships with
av-client: the built-in table is client/redact_rules.py and client/provider_rules.py.

The regexes are Go RE2 syntax. Python's ``re`` reads all of them after two
translations, both checked by tests: a ``(?i)`` in the middle
of a pattern (RE2: "case-insensitive from here to the end of the group") becomes a
scoped ``(?i:…)`` per alternative, and ``\\z`` becomes ``\\Z``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class RuleFileError(ValueError):
    """The rule file cannot be read, is not TOML in gitleaks' shape, or holds a regex Python cannot use."""


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


MAX_FILE_BYTES = 4 * 1024 * 1024  # gitleaks' own default file is ~100 KB


def load_file(path: Path) -> tuple[GitleaksRule, ...]:
    """The regex rules of a gitleaks-format file, the global allowlist folded into each rule's."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise RuleFileError(f"{path} is over {MAX_FILE_BYTES // 1024 // 1024} MB")
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuleFileError(f"cannot read {path}: {exc}") from None
    specs = data.get("rules", [])
    if not isinstance(specs, list) or not all(isinstance(spec, dict) for spec in specs):
        raise RuleFileError(f"{path}: [[rules]] must be tables")
    try:
        glob = _allowlist(data.get("allowlist", {}))
    except (re.error, TypeError, AttributeError) as exc:
        raise RuleFileError(f"{path}: [allowlist] is not valid: {exc}") from None
    rules = []
    for index, spec in enumerate(specs):
        name = spec.get("id", f"rules[{index}]")
        if "regex" not in spec or "path" in spec:
            continue  # path-only rules, and rules for files of a given name: not for session text
        try:
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name):
                raise ValueError("id must be 1-64 letters, digits, '.', '_' or '-'")
            regex, lead = split_lead(translate(str(spec["regex"])))
            pattern = re.compile(regex)
            group = int(spec.get("secretGroup", 0))
            if not 0 <= group <= pattern.groups:
                raise ValueError(f"secretGroup {group} but the regex has {pattern.groups} groups")
            allow = tuple(a for a in map(_allowlist, spec.get("allowlists", ())) if a is not None)
            keywords = tuple(str(k).lower() for k in spec.get("keywords", ()))
            rules.append(
                GitleaksRule(
                    id=name,
                    description=str(spec.get("description", f"{name} ({path.name})")),
                    regex=regex,
                    lead=lead,
                    keywords=tuple(k for k in keywords if k),
                    entropy=float(spec.get("entropy", 0.0)),
                    secret_group=group,
                    allowlists=(glob, *allow) if glob else allow,
                )
            )
        except (re.error, TypeError, ValueError, AttributeError) as exc:
            raise RuleFileError(f"{path}: rule {name!r} is not valid: {exc}") from None
    return tuple(rules)
