"""The global-search query language, turned into exact conditions on a text's chunks.

Two modes (docs/design-search.md, "What a match is"):

- ``words`` (agentsview's FTS5 habits): bare words must all occur; ``"exact phrase"``
  matches adjacent words in order; ``-word`` / ``-"phrase"`` exclude; ``word*`` is a prefix.
  Words are the tokens of ``search_text()`` (migration 0002), the very function that built
  the index, so query and document always split the same way: ``foo_bar.py`` is the phrase
  ``foo <-> bar <-> py`` and ``日本語`` is ``日 <-> 本 <-> 語``. A phrase is looked up in the
  index by its pairs of adjacent tokens, then checked by position. Every
  positive term must be in one chunk of a text (a text of up to 8 KB is one chunk); an
  excluded term anywhere in the text excludes it. Lexemes go into the tsquery
  quoted, so no input can inject tsquery operators.
- ``substring``: the whole input, literally, case-insensitively (``lower(text)`` contains
  ``lower(q)``, which is what PostgreSQL's ILIKE does), anywhere in the text. It needs three
  letters or digits in a row (the trigram index finds candidates) or a CJK character (its
  tokens do); anything shorter would be a scan of every text, and is refused with a 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg

from avcore.web import BadRequest
from viewer_fn.queries_sessions import like_pattern

MAX_QUERY_CHARS = 500  # chunks overlap by 2,048 bytes: any substring this long is inside one
MAX_TERMS = 16
TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
LEXEMES_SQL = """
SELECT x.i, array(SELECT u.lexeme FROM unnest(search_vector(x.t)) u, unnest(u.positions) pos ORDER BY pos)
FROM unnest(%(terms)s::text[]) WITH ORDINALITY AS x(t, i) ORDER BY x.i"""
# What pg_trgm can take a trigram from (it keeps letters and digits, CJK included).
TRIGRAM_RUN = re.compile(r"[^\W_]{3,}")
# search_text()'s CJK ranges (migration 0002): each such character is a token of its own.
CJK_RUN = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\u3040-\u30ff]+")


@dataclass(frozen=True)
class Term:
    text: str
    negated: bool = False
    prefix: bool = False


@dataclass(frozen=True)
class Compiled:
    """What a chunk must satisfy, as SQL-ready values (see queries_search.py)."""

    mode: str
    # Words: every positive term (tsquery, positions compared: the definition). Substring: None.
    tsquery: str | None
    # What the index looks candidates up by (search_keys(): tokens and pairs of tokens), a
    # condition every match meets. Substring: the CJK tokens a match has, when the text has no
    # trigram to look up, else None (the trigram index serves `like`).
    keys: str | None
    # Words: ``keys`` is the whole positive condition (every term one token, or two: a token is
    # its own lexeme in search_keys(), two adjacent tokens exactly its pair lexeme), so indexed
    # chunks need no position check (which decompresses each candidate's vector).
    keys_exact: bool
    exclude: str | None  # words: a text with any of these terms anywhere is left out
    rank: str | None  # tsquery the chunk's rank is computed with (ts_rank_cd); None: rank 0
    like: str | None  # substring: the LIKE pattern; lower(chunk) LIKE lower(like)
    prefilter: tuple[str, ...]  # ILIKE patterns every hit's whole text matches (a cheap first test)
    highlight: list[str]  # lowercase pieces to mark in snippets
    needle: str  # what to look for first when cutting a snippet


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
    """Adjacent tokens in order, compared by position (for ranking, and to check a phrase of 3+)."""
    parts = [_quote(x) for x in lexemes]
    if prefix:
        parts[-1] += ":*"
    return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"


def _pairs(lexemes: list[str], prefix: bool) -> str:
    """The pair lexemes (``' first second'``, migration 0007) a text holding the phrase has: for
    two tokens exactly the phrase, for more a condition every match meets."""
    pairs = [_quote(f" {a} {b}") for a, b in zip(lexemes, lexemes[1:], strict=False)]
    if prefix:
        pairs[-1] += ":*"
    return pairs[0] if len(pairs) == 1 else "(" + " & ".join(pairs) + ")"


def _keys(lexemes: list[str], prefix: bool) -> str:
    """What the index finds a term by (``search_keys()``): its token, or its pairs of tokens."""
    return _phrase(lexemes, prefix) if len(lexemes) == 1 else _pairs(lexemes, prefix)


def _lexemes(conn: psycopg.Connection, texts: list[str]) -> list[list[str]]:
    return [row[1] for row in conn.execute(LEXEMES_SQL, {"terms": texts})]


def _check_length(q: str) -> str:
    q = q.strip()
    if not q:
        raise BadRequest('q: required (words, "a phrase", -excluded, prefix*; or mode=substring)')
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"q: at most {MAX_QUERY_CHARS} characters")
    return q


def compile_query(conn: psycopg.Connection, q: str, mode: str) -> Compiled:
    q = _check_length(q)
    return _substring(conn, q) if mode == "substring" else _words(conn, q)


def _substring(conn: psycopg.Connection, q: str) -> Compiled:
    runs = CJK_RUN.findall(q)
    tokens = _lexemes(conn, [q, *runs])
    # Each run of CJK characters in the text is a run of adjacent tokens in any text holding it:
    # its token, or its pairs (the LIKE that follows is the exact test, so pairs suffice).
    required = [_phrase(x, False) if len(x) == 1 else _pairs(x, False) for x in tokens[1:] if x]
    if not TRIGRAM_RUN.search(q) and not required:
        raise BadRequest(
            "q: a substring search needs 3 letters or digits in a row, or a CJK character "
            "(shorter pieces would be a scan of every text; try mode=words)"
        )
    rank = _phrase(tokens[0], prefix=True) if tokens[0] else None
    pattern = like_pattern(q)
    return Compiled(
        mode="substring",
        tsquery=None,
        keys=None if TRIGRAM_RUN.search(q) else " & ".join(required),
        keys_exact=False,
        exclude=None,
        rank=rank,
        like=pattern,
        prefilter=(pattern,),
        highlight=[q.lower()],
        needle=q.lower(),
    )


def _words(conn: psycopg.Connection, q: str) -> Compiled:
    terms = parse(q)[:MAX_TERMS]
    positive: list[str] = []
    negative: list[str] = []
    keys: list[str] = []
    longest = 0  # tokens in the longest positive term
    highlight: list[str] = []
    prefilter: list[str] = []
    for term, lexemes in zip(terms, _lexemes(conn, [t.text for t in terms]) if terms else [], strict=True):
        if not lexemes:
            continue
        (negative if term.negated else positive).append(_phrase(lexemes, term.prefix))
        if not term.negated:
            keys.append(_keys(lexemes, term.prefix))
            longest = max(longest, len(lexemes))
            highlight += lexemes
            # Every token of a text is a piece of it (search_text only turns characters into
            # spaces), so each positive lexeme is in a hit's lowercased text.
            prefilter += [like_pattern(x) for x in lexemes]
    if not positive:
        raise BadRequest("q: needs at least one word to find (exclusions alone match everything)")
    return Compiled(
        mode="words",
        tsquery=" & ".join(positive),
        keys=" & ".join(keys),
        keys_exact=longest <= 2,
        exclude=" | ".join(negative) if negative else None,
        rank=" & ".join(positive),
        like=None,
        prefilter=tuple(dict.fromkeys(prefilter)),
        highlight=sorted(set(highlight), key=len, reverse=True),
        needle=max(highlight, key=len),
    )


def condition_sql(compiled: Compiled, vector: str, body: str) -> str:
    """The chunk condition: a text not indexed yet is tested by it (the index's lookup,
    ``search_keys``, is implied by it)."""
    parts = []
    if compiled.tsquery:
        parts.append(f"{vector} @@ %(tsq)s::tsquery")
    if compiled.like:
        parts.append(f"{body} LIKE lower(%(like)s)")
    return " AND ".join(parts)


def rank_sql(compiled: Compiled, vector: str) -> str:
    return f"ts_rank_cd({vector}, %(rankq)s::tsquery)::float8" if compiled.rank else "0::float8"
