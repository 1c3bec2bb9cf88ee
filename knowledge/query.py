"""A user's or a model's words as a safe SQLite FTS5 query.

Every term is quoted, so nothing typed is FTS5 syntax (`AND`, `NEAR`, `"`, `*`, `:`, parentheses and
column filters are all plain words here) and no input makes the query fail. Terms are joined with OR:
BM25 ranks the passages that match more, and rarer, terms first. Common English words are left out
unless nothing else is left, and terms of three letters or more also match as prefixes, so "config"
finds "configuration"; the porter stemmer already joins "deploying" and "deployment".
"""

from __future__ import annotations

import re

MAX_TERMS = 24
"""Enough for any question; bounds the query's cost."""
MAX_TERM_CHARS = 64
PREFIX_MIN_CHARS = 3

_WORD = re.compile(r"\w+")
STOP_WORDS = frozenset(
    " ".join(
        (
            "a about after all also am an and any are as at be been but by can could did do does doing for",
            "from get got had has have how i if in into is it its let me my no not of on or our should so",
            "some that the their them then there these they this to up us was we were what when where which",
            "who why will with would you your",
        )
    ).split()
)
"""Words too common to say what a question is about."""


def match_expression(text: str) -> str | None:
    """An FTS5 MATCH expression for the words of `text`, or None when it has no words."""
    terms = list(dict.fromkeys(word[:MAX_TERM_CHARS] for word in _WORD.findall(text.lower())))
    terms = [term for term in terms if any(char.isalnum() for char in term)]
    if not terms:
        return None
    content = [term for term in terms if term not in STOP_WORDS] or terms
    return " OR ".join(_phrase(term) for term in content[:MAX_TERMS])


def _phrase(term: str) -> str:
    """One quoted term; `\\w+` never holds a double quote, the one character a quoted term must escape."""
    return f'"{term}"*' if len(term) >= PREFIX_MIN_CHARS else f'"{term}"'
