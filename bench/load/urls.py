"""The site's URLs plus ``/bench/bare/``: the load test's reference.

``bare`` answers a constant HTML page through the same middleware, gunicorn and network
path as every page, so the pages' latencies can be read against what Django itself costs
on this machine in the same run.
"""

from django.http import HttpResponse
from django.urls import path

from stockdata.urls import handler404, handler500  # noqa: F401
from stockdata.urls import urlpatterns as site_urlpatterns

BARE_BODY = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Bare</title></head><body><main>'
    + b"<p>Constant text served through the same middleware as every page.</p>\n" * 200
    + b'<p data-testid="bare">bare</p></main></body></html>\n'
)


def bare(request):
    return HttpResponse(BARE_BODY, content_type="text/html; charset=utf-8")


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *site_urlpatterns]
