"""Folder names that encode a workspace path by turning ``/`` (and ``.``) into ``-``.

Cursor (``Users-fiona-Documents-demo``) and Qwen Code
(``-Users-alice-code-sample-project``) name a session's folder after its
workspace this way. The encoding is lossy (a ``-`` may have been a ``/``, a
``.`` or a ``-``), so the real path is found by probing this machine's
filesystem, component by component, and kept only when exactly one existing
directory matches. Otherwise (the logs were copied from another machine, the
checkout is gone) there is no cwd and the project name is inferred from the
text alone, as for Claude's encoded folders.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from client.project import project_from_encoded_dir

MAX_COMPONENT_TOKENS = 8  # a path component made of more than this many "-"-separated tokens is not probed
MAX_MATCHES = 2  # we only need to know whether the match is unique


def _joins(tokens: list[str]) -> list[str]:
    """Every way ``tokens`` may have been one path component: joined by "-" or ".", at most 3 dots."""
    out = ["-".join(tokens)]
    if 1 < len(tokens) <= 4:
        for mask in range(1, 1 << (len(tokens) - 1)):
            parts = [tokens[0]]
            for i, tok in enumerate(tokens[1:]):
                parts.append(("." if mask >> i & 1 else "-") + tok)
            out.append("".join(parts))
    # ".cursor"-style hidden folders encode as a leading empty token: "--cursor" -> "/.cursor"
    return out


def _probe(base: Path, tokens: list[str], found: list[Path]) -> None:
    if len(found) >= MAX_MATCHES:
        return
    if not tokens:
        found.append(base)
        return
    if tokens[0] == "" and len(tokens) > 1:  # "/.name": the "." became "-"
        hidden = tokens[1:]
        for end in range(1, min(len(hidden), MAX_COMPONENT_TOKENS) + 1):
            for name in _joins(hidden[:end]):
                candidate = base / f".{name}"
                if candidate.is_dir():
                    _probe(candidate, hidden[end:], found)
        return
    for end in range(1, min(len(tokens), MAX_COMPONENT_TOKENS) + 1):
        for name in _joins(tokens[:end]):
            candidate = base / name
            if candidate.is_dir():
                _probe(candidate, tokens[end:], found)


@lru_cache(maxsize=256)
def decode_workspace(name: str) -> str | None:
    """The one existing directory ``name`` encodes, else None."""
    tokens = name.lstrip("-").split("-")
    if not tokens or not tokens[0]:
        return None
    roots: list[tuple[Path, list[str]]] = [(Path("/"), tokens)]
    if len(tokens[0]) == 1 and tokens[0].isalpha() and len(tokens) > 1:  # Windows "C-Users-…"
        roots.append((Path(f"{tokens[0]}:/"), tokens[1:]))
    found: list[Path] = []
    for base, rest in roots:
        try:
            _probe(base, rest, found)
        except OSError:
            continue
    return str(found[0]) if len(found) == 1 else None


def workspace_of(name: str) -> tuple[str | None, str | None]:
    """(cwd, None) when the folder exists here (the project comes from the cwd), else (None, name from text)."""
    cwd = decode_workspace(name)
    if cwd is not None:
        return cwd, None
    return None, project_from_encoded_dir(name)
