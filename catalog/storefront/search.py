"""How a catalogue search word matches word forms: pure functions, no database.

English words also match their other forms: PostgreSQL's full-text search with the ``english``
configuration stems both sides ("faces" finds "face", "masked" finds "mask"), and a word's
:func:`english_root` is matched as a prefix, so a demonym finds its country ("japanese" finds
"Japan", "korean" finds "Korea"). Elsewhere (SQLite) the root is matched as a substring.

Japanese words have no spaces and inflect at the end ("着けた", "着ける"): a word also matches when
each of its kanji and katakana runs occurs in the text (:func:`japanese_stems`), so
"マスクを着けた" finds "マスク着用" and "着ける人" finds "マスクを着けた日本人". Matching those runs is
a substring test; on the catalogue benchmark's 460 published datasets it needs no index
(``catalog/storefront/tests/test_search_forms.py`` and the README give the figures).

Every word still matches as the plain substring it always did, so no search finds less than before.
"""

from __future__ import annotations

import re
import unicodedata

# Longest first; what is left must keep at least MIN_ROOT letters ("faces" -> "face", not "fac").
ENGLISH_SUFFIXES = ("ians", "ese", "ian", "ish", "ers", "ing", "ies", "an", "es", "ed", "er", "ly", "s")
MIN_ROOT = 4
ENGLISH_WORD = re.compile(r"^[a-z0-9]+$")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_STEM_RUN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\u3005\u30a0-\u30ff\u31f0-\u31ff]+")


def is_english_word(word: str) -> bool:
    """A word of ASCII letters and digits (after NFKC and lower case): full-text search may take it."""
    return bool(ENGLISH_WORD.match(word)) and any(c.isalpha() for c in word)


def english_root(word: str) -> str:
    """``word`` without one common ending, when at least four letters are left: "japanese" ->
    "japan", "masked" -> "mask", "faces" -> "face", "glasses" -> "glass"; else ``word``."""
    for suffix in ENGLISH_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_ROOT:
            return word[: -len(suffix)]
    return word


def japanese_stems(word: str) -> list[str]:
    """The kanji and katakana runs of a Japanese word, without its kana endings and particles:
    "マスクを着けた" -> ["マスク", "着"]; [] for a word with no hiragana to drop (the word itself
    is then the only form) or no kanji/katakana."""
    word = unicodedata.normalize("NFKC", word)
    if not _HIRAGANA.search(word):
        return []
    return _STEM_RUN.findall(word)
