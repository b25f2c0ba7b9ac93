"""Bundle delivery pages: the live status of a line's bundle and its downloads.

Anyone but a member of the buying organisation gets 404, as if the order did not exist.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from licensing.delivery import selectors, services
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


@require_GET
def bundle_file(request, token):
    """Local storage only: stream the archive a signed, unexpired link names."""
    bundle = selectors.bundle_for_token(token)
    if bundle is None:
        raise Http404
    return FileResponse(default_storage.open(bundle.archive, "rb"), as_attachment=True, filename=bundle.file_name)
