"""Bundle delivery pages: the live status of a line's bundle and its downloads.

Anyone but a member of the buying organisation gets 404, as if the order did not exist.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from licensing.delivery import selectors, services
from stockdata.accounts.models import Role
from stockdata.accounts.permissions import user_has_role


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _line_or_404(request, order_uuid, line_id):
    line = selectors.line_for_buyer(user=request.user, order_uuid=order_uuid, line_id=line_id)
    if line is None:
        raise Http404
    return line


@require_GET
def bundle_status(request, order_uuid, line_id):
    """The delivery partial of one line, polled by htmx while the bundle is built."""
    line = _line_or_404(request, order_uuid, line_id)
    return render(request, "licensing/_order_line_delivery.html", {"line": line})


@require_POST
def bundle_download(request, order_uuid, line_id):
    """Log the download and send the buyer to a fresh link that works for a few minutes."""
    line = _line_or_404(request, order_uuid, line_id)
    try:
        url = services.bundle_download(line=line, user=request.user, ip=_client_ip(request))
    except services.DownloadRefused as exc:
        return render(
            request,
            "licensing/bundles/download_refused.html",
            {"line": line, "message": exc.message},
            status=exc.status,
        )
    return HttpResponseRedirect(url)


@require_GET
def bundle_file(request, token):
    """Local storage only: stream the archive a signed, unexpired link names."""
    bundle = selectors.bundle_for_token(token)
    if bundle is None:
        raise Http404
    return FileResponse(default_storage.open(bundle.archive, "rb"), as_attachment=True, filename=bundle.file_name)


@require_http_methods(["GET", "POST"])
def evaluation_pack(request, slug: str):
    """A signed-in buyer reads the evaluation licence (GET), accepts it and downloads the pack, a ZIP
    (POST); anyone else is sent to log in (anonymous) or refused (403)."""
    from django.contrib import messages
    from django.contrib.auth.views import redirect_to_login
    from django.http import HttpResponse
    from django.shortcuts import get_object_or_404, redirect

    from catalog.models import Dataset
    from licensing.delivery.evaluation import EVALUATION_SAMPLES, evaluation_licence, evaluation_pack_issue
    from stockdata.errors import ApplicationError

    dataset = get_object_or_404(Dataset, slug=slug, status=Dataset.Status.PUBLISHED, latest_version__isnull=False)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.method != "POST":
        if not user_has_role(request.user, Role.BUYER) or request.user.is_staff:
            return render(
                request,
                "licensing/evaluation_refused.html",
                {"message": _("Only buyer accounts can download an evaluation pack.")},
                status=403,
            )
        return render(
            request,
            "licensing/evaluation_pack.html",
            {"dataset": dataset, "licence": evaluation_licence(), "samples": EVALUATION_SAMPLES},
        )
    try:
        pack, data = evaluation_pack_issue(
            dataset=dataset, user=request.user, accepted=request.POST.get("accept") == "on", ip=_client_ip(request)
        )
    except ApplicationError as exc:
        if exc.status == 403:
            return render(request, "licensing/evaluation_refused.html", {"message": exc.message}, status=403)
        messages.error(request, exc.message)
        return redirect(request.path)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{slug}-evaluation-{pack.reference}.zip"'
    return response
