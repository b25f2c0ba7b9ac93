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


# --- Language prefixes in URLs ----------------------------------------------------------
#
# ``/ja/<page>`` and ``/en/<page>`` are every page in that language, so a Japanese page has an
# address one can share. ``LanguagePrefixMiddleware`` (``stockdata.middleware``) strips the
# prefix before URL resolution and makes it the script prefix, so every ``reverse()`` and
# ``{% url %}`` on that page keeps it. Unprefixed addresses work as before (the language from
# the cookie or Accept-Language).


def language_codes() -> tuple[str, ...]:
    """The languages the site speaks (``settings.LANGUAGES``), e.g. ``("en", "ja")``."""
    from django.conf import settings

    return tuple(code for code, _name in settings.LANGUAGES)


def split_language_prefix(path: str) -> tuple[str | None, str]:
    """``("ja", "/datasets/")`` for ``/ja/datasets/``; ``(None, path)`` for a path without a prefix."""
    for code in language_codes():
        if path == f"/{code}" or path.startswith(f"/{code}/"):
            return code, path[len(code) + 1 :] or "/"
    return None, path


def language_path(path: str, language: str) -> str:
    """``path`` (with or without a language prefix) under ``/<language>/``."""
    return f"/{language}" + split_language_prefix(path)[1]


def language_or_default(code: str | None) -> str:
    """``code`` when the site speaks it (``ja-JP`` counts as ``ja``), else ``settings.LANGUAGE_CODE``."""
    from django.conf import settings

    code = (code or "").lower().split("-")[0]
    return code if code in language_codes() else settings.LANGUAGE_CODE


def language_of(user) -> str:
    """The language ``user`` reads their e-mails in: the one they chose (``User.language``), else the default."""
    return language_or_default(getattr(user, "language", ""))
