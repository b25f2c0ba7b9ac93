"""Secrets that travel in URLs, cut out of everything we log.

Two kinds of link carry a bearer secret in their path: a person's consent link
(``/consent/<selector>.<secret>/``, no account needed) and a bundle download link
(``/downloads/<id>.<secret>/``). Logs, access logs and their backups must not be able to
replay them, so every logger keeps the selector (enough to find the record) and drops
the rest: our request log and Django's own lines (``stockdata.core.request_log``),
gunicorn's access log (``gunicorn.conf.py``) and nginx's (``deploy/nginx.conf`` has the
same rule as an nginx ``map``).

Pure Python on purpose: gunicorn's config imports it before Django is set up.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

# /consent/<selector>[.<secret>] and /downloads/<selector>[.<secret>] (also under a language
# prefix, /ja/consent/...), anywhere in a string
# (a path, a full URL in a Referer, a log message). The selector is what precedes the first
# dot; a token without a dot is all secret.
# Only at the start of a path: the string's start, after a space or quote, or after a URL's host
# (so /api/v1/photos/<uuid>/consent/ is left alone).
_SECRET_PATH = re.compile(
    r"((?:^|(?<=[\s\"'(=])|https?://[^/\s\"']+)/(?:(?:ja|en)/)?(?:consent|downloads)/)([^/?#\s\"'.]*)(\.[^/?#\s\"']*|)",
    re.ASCII,
)


def _replace(match: re.Match) -> str:
    prefix, selector, secret = match.group(1), match.group(2), match.group(3)
    if not secret:  # no separate selector: the whole token is the secret
        return f"{prefix}{REDACTED}" if selector else match.group(0)
    return f"{prefix}{selector}.{REDACTED}"


def redact(text: str) -> str:
    """``text`` with every consent or download secret replaced by ``[redacted]``."""
    if not text or ("/consent/" not in text and "/downloads/" not in text):
        return text
    return _SECRET_PATH.sub(_replace, text)
