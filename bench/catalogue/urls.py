"""The site's URLs plus ``/bench/bare/``: a constant HTML page of the size of the catalogue pages.

The bare view goes through the same middleware as every page, so pages are compared with
what Django itself costs on this machine, not with nothing.
"""

import os
from pathlib import Path

from django.http import HttpResponse
from django.urls import path

from stockdata.urls import handler404, handler500  # noqa: F401
from stockdata.urls import urlpatterns as site_urlpatterns

_BARE_FILE = os.environ.get("BENCH_BARE_FILE", "")
BARE_BODY = Path(_BARE_FILE).read_bytes() if _BARE_FILE else b"<!DOCTYPE html><html><body>bare</body></html>"


def bare(request):
    return HttpResponse(BARE_BODY, content_type="text/html; charset=utf-8")


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *site_urlpatterns]
