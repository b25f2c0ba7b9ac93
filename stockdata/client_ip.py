"""The client's address, behind exactly the proxies we were told to trust.

Behind nginx → gunicorn every request comes from 127.0.0.1; the client's address is in
``X-Forwarded-For``, which nginx extends (``$proxy_add_x_forwarded_for``) with the address it
saw. A client can put anything at the left of that header, so only the right-most
``STOCKDATA_TRUSTED_PROXIES`` hops are believed: with N trusted proxies the client is the
N-th address from the right of ``X-Forwarded-For`` + ``REMOTE_ADDR``. With 0 (the embedded
default: no proxy) the header is ignored and ``REMOTE_ADDR`` is the client.

Everything that records or counts by address asks here: login lockouts (django-axes'
``AXES_CLIENT_IP_CALLABLE``), allauth's rate limits, the download and licence-acceptance logs.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _address(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address of whoever sent ``request`` (see the module's docstring); None if unknown."""
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    trusted = max(0, int(getattr(settings, "STOCKDATA_TRUSTED_PROXIES", 0)))
    if trusted == 0:
        return remote
    forwarded = [part for part in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",") if part.strip()]
    hops = [*forwarded, request.META.get("REMOTE_ADDR") or ""]
    if len(hops) <= trusted:
        # Fewer hops than proxies: the request did not come through all of them, so nothing in
        # the header was written by a proxy we trust; the peer is the best we know.
        return remote
    return _address(hops[-(trusted + 1)]) or remote
