"""Bundle delivery pages: the live status of a line's bundle and its downloads.

Anyone but a member of the buying organisation gets 404, as if the order did not exist.
"""

from __future__ import annotations

import re

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from licensing.delivery import selectors, services
from stockdata.accounts.models import Role
from stockdata.accounts.permissions import DOWNLOADING, has_any_org_role, org_roles_refused, user_has_role
from stockdata.client_ip import client_ip


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
        url = services.bundle_download(line=line, user=request.user, ip=client_ip(request))
    except services.DownloadRefused as exc:
        return render(
            request,
            "licensing/bundles/download_refused.html",
            {"line": line, "message": exc.message},
            status=exc.status,
        )
    return HttpResponseRedirect(url)


_RANGE = re.compile(r"^bytes=([0-9]{1,19})-([0-9]{0,19})$", re.ASCII)


@require_GET
def bundle_file(request, token):
    """Local storage only: stream the archive, to the signed-in member the link was issued to.

    Every fetch is logged (``services.bundle_fetch``); ``Range: bytes=N-`` resumes an interrupted
    download (206) without counting it again. Anyone else, or a bad link, gets 404.
    """
    if not request.user.is_authenticated:
        # Not a login redirect: its ?next= would carry the secret into more logs.
        raise Http404
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.strip()) if header else None
    start = int(match.group(1)) if match else 0
    try:
        bundle = services.bundle_fetch(token=token, user=request.user, ip=client_ip(request), range_start=start)
    except services.DownloadRefused as exc:
        if exc.status == 404:
            raise Http404 from None
        if exc.status == 416:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{exc.extra.get('size', '*')}"
            return response
        return render(
            request,
            "licensing/bundles/download_refused.html",
            {"line": None, "message": exc.message},
            status=exc.status,
        )
    handle = default_storage.open(bundle.archive, "rb")
    size = handle.size
    if not match or start >= size:
        if match:  # a range past the end: nothing to send
            handle.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        response = FileResponse(handle, as_attachment=True, filename=bundle.file_name)
        response["Accept-Ranges"] = "bytes"
        return response
    end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
    handle.seek(start)
    response = StreamingHttpResponse(_read_range(handle, end - start + 1), status=206, content_type="application/zip")
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition_header(True, bundle.file_name)
    return response


def _read_range(handle, remaining: int, chunk: int = 1024 * 1024):
    try:
        while remaining > 0:
            data = handle.read(min(chunk, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        handle.close()


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
        if not has_any_org_role(request.user, request.user.organisation_id, DOWNLOADING):
            return org_roles_refused(request, DOWNLOADING)
        return render(
            request,
            "licensing/evaluation_pack.html",
            {"dataset": dataset, "licence": evaluation_licence(), "samples": EVALUATION_SAMPLES},
        )
    try:
        pack, data = evaluation_pack_issue(
            dataset=dataset, user=request.user, accepted=request.POST.get("accept") == "on", ip=client_ip(request)
        )
    except ApplicationError as exc:
        if exc.status == 403:
            return render(request, "licensing/evaluation_refused.html", {"message": exc.message}, status=403)
        messages.error(request, exc.message)
        return redirect(request.path)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{slug}-evaluation-{pack.reference}.zip"'
    return response
