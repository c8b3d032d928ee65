"""The global-search query language, turned into a PostgreSQL ``tsquery``.

Syntax (agentsview's FTS5 habits): bare words must all occur; ``"exact phrase"``
matches adjacent words; ``-word`` / ``-"phrase"`` exclude; ``word*`` is a prefix.
``mode=substring`` instead takes the whole input literally (code, paths, CJK).

Words are tokenised by the database's ``search_text()`` (migration 0002), the very
function that built the index, so query and document always split the same way:
``foo_bar.py`` becomes ``foo <-> bar <-> py`` and ``日本語`` becomes
``日 <-> 本 <-> 語``. Lexemes go into the tsquery quoted, so no input can inject
tsquery operators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg

from avcore.web import BadRequest

MAX_QUERY_CHARS = 500
MAX_TERMS = 16
TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
LEXEMES_SQL = """
SELECT x.i, array(SELECT u.lexeme FROM unnest(to_tsvector('simple', search_text(x.t))) u, unnest(u.positions) pos
                  ORDER BY pos) AS lexemes
FROM unnest(%(terms)s::text[]) WITH ORDINALITY AS x(t, i) ORDER BY x.i"""


@dataclass(frozen=True)
class Term:
    text: str
    negated: bool = False
    prefix: bool = False


@dataclass(frozen=True)
class Compiled:
    tsquery: str  # for the GIN index
    highlight: list[str]  # lowercase pieces to mark in snippets
    needle: str  # what to look for first when cutting a snippet
    literal: str | None = None  # substring mode: the exact text every hit contains
    must: tuple[str, ...] = ()  # for sessions not yet indexed: texts every hit contains ...
    must_not: tuple[str, ...] = ()  # ... and texts no hit contains (matched with ILIKE)


def parse(q: str) -> list[Term]:
    terms: list[Term] = []
    for m in TERM.finditer(q):
        if m.group(2) is not None:
            text, negated, prefix = m.group(2), m.group(1) == "-", False
        else:
            text, negated = m.group(4), m.group(3) == "-"
            prefix = text.endswith("*")
            text = text.rstrip("*")
        if text.strip():
            terms.append(Term(text, negated, prefix))
    return terms


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _phrase(lexemes: list[str], prefix: bool) -> str:
    parts = [_quote(x) for x in lexemes]
    if prefix:
        parts[-1] += ":*"
    return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"


def _lexemes(conn: psycopg.Connection, texts: list[str]) -> list[list[str]]:
    return [row[1] for row in conn.execute(LEXEMES_SQL, {"terms": texts})]


def compile_query(conn: psycopg.Connection, q: str, mode: str) -> Compiled:
    q = q.strip()
    if not q:
        raise BadRequest('q: required (words, "a phrase", -excluded, prefix*; or mode=substring)')
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"q: at most {MAX_QUERY_CHARS} characters")
    if mode == "substring":
        lexemes = _lexemes(conn, [q])[0]
        if not lexemes:
            raise BadRequest("q: a substring search needs at least one letter or digit")
        # The text may end inside a word ("handleReq"), so the last piece is a prefix.
        return Compiled(_phrase(lexemes, prefix=True), [q.lower()], q.lower(), literal=q, must=(q,))
    terms = parse(q)[:MAX_TERMS]
    positive: list[str] = []
    negative: list[str] = []
    highlight: list[str] = []
    must: list[str] = []
    must_not: list[str] = []
    for term, lexemes in zip(terms, _lexemes(conn, [t.text for t in terms]) if terms else [], strict=True):
        if not lexemes:
            continue
        (negative if term.negated else positive).append(_phrase(lexemes, term.prefix))
        (must_not if term.negated else must).append(term.text)
        if not term.negated:
            highlight += lexemes
    if not positive:
        raise BadRequest("q: needs at least one word to find (exclusions alone match everything)")
    tsquery = " & ".join(positive + [f"!{n}" for n in negative])
    return Compiled(
        tsquery,
        sorted(set(highlight), key=len, reverse=True),
        max(highlight, key=len),
        must=tuple(must),
        must_not=tuple(must_not),
    )
