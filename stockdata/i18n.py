"""The active language, asked one way everywhere."""

from django.utils.translation import get_language


def is_japanese() -> bool:
    """True when the request (or ``translation.override``) speaks Japanese."""
    return (get_language() or "").startswith("ja")


def localised(obj, name: str) -> str:
    """``obj.<name>_ja`` in Japanese, ``<name>_en`` otherwise; the other language when that one is empty."""
    first, second = ("ja", "en") if is_japanese() else ("en", "ja")
    return getattr(obj, f"{name}_{first}") or getattr(obj, f"{name}_{second}")


def pick(*, en, ja):
    """One of two values by the active language (for pairs that are not model fields)."""
    return ja if is_japanese() else en
