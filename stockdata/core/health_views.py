"""Health endpoints for load balancers, orchestrators and monitoring. No login, no session.

``/healthz/``       liveness: 200 ``ok`` while the process serves requests; touches nothing.
``/healthz/ready/`` readiness: JSON with every check; 200 when all pass, 503 when any fails.
"""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from stockdata.core import health


@never_cache
@require_safe
def liveness(request):
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def readiness(request):
    report = health.readiness()
    return JsonResponse(report, status=200 if report["status"] == health.OK else 503)
