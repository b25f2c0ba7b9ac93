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


# --- Withdrawal notices: the tombstone and the deletion confirmation ------------------------------


def _notice_or_404(request, pk: int):
    from licensing.delivery.models import WithdrawalNotice

    notice = (
        WithdrawalNotice.objects.select_related(
            "order_line__order", "order_line__version", "evaluation_pack__dataset", "evaluation_pack__version"
        )
        .filter(pk=pk)
        .first()
    )
    if notice is None or not services.can_confirm_deletion(request.user, notice):
        raise Http404
    return notice


def tombstone_document(notice) -> dict:
    """The tombstone manifest as JSON: what to delete, from which dataset version, by when."""
    _user, title, reference = services.notice_recipient(notice)
    version = notice.evaluation_pack.version if notice.evaluation_pack_id else notice.order_line.version
    return {
        "notice": notice.pk,
        "reference": reference,
        "title": title,
        "dataset": version.dataset.slug,
        "dataset_version": version.number,
        "notified_at": notice.created_at.isoformat(),
        "delete_by": notice.due_on.isoformat() if notice.due_on else None,
        "files": notice.tombstone or [{"file": f, "sha256": ""} for f in notice.file_names],
    }


@require_GET
def withdrawal_notice_tombstone(request, pk: int, fmt: str):
    """The tombstone as ``csv`` (file, sha256) or ``json``, to feed a deletion script."""
    import io
    import json

    from stockdata.csv_export import CsvWriter

    notice = _notice_or_404(request, pk)
    document = tombstone_document(notice)
    if fmt == "json":
        response = HttpResponse(
            json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = CsvWriter(buffer)
        writer.writerow(["file", "sha256"])
        for row in document["files"]:
            writer.writerow([row["file"], row["sha256"]])
        response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    else:
        raise Http404
    response["Content-Disposition"] = content_disposition_header(
        True, f"withdrawal-{notice.pk}-{document['dataset']}-v{document['dataset_version']}.{fmt}"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def withdrawal_notice(request, pk: int):
    """A notice: the files to delete (with SHA-256), the deadline, and the deletion confirmation form."""
    from django.utils import timezone

    from licensing.delivery.forms import DeletionConfirmationForm
    from stockdata.errors import ApplicationError

    notice = _notice_or_404(request, pk)
    confirmation = notice.confirmation_or_none
    form = None
    if confirmation is None:
        form = DeletionConfirmationForm(request.POST or None, initial={"deleted_on": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            try:
                services.deletion_confirm(notice=notice, user=request.user, ip=client_ip(request), **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return HttpResponseRedirect(request.path)
    elif request.method == "POST":
        raise Http404
    _user, title, reference = services.notice_recipient(notice)
    return render(
        request,
        "licensing/bundles/withdrawal_notice.html",
        {
            "notice": notice,
            "document": tombstone_document(notice),
            "title": title,
            "reference": reference,
            "status": notice.status_at(timezone.localdate()),
            "confirmation": confirmation,
            "form": form,
        },
        status=400 if form is not None and form.errors else 200,
    )


@require_GET
def withdrawal_notices_overdue(request):
    """Staff: every notice whose deletion confirmation is overdue, and the open ones."""
    from django.utils import timezone

    from licensing.delivery.models import WithdrawalNotice

    if not user_has_role(request.user, Role.STAFF):
        raise Http404
    today = timezone.localdate()
    overdue = list(services.notices_overdue(today=today))
    open_notices = list(
        WithdrawalNotice.objects.filter(confirmation__isnull=True, due_on__gte=today)
        .select_related("order_line__order__organisation", "evaluation_pack__buyer", "withdrawal__release")
        .order_by("due_on", "pk")
    )
    for notice in overdue + open_notices:
        notice.recipient_user, notice.title, notice.reference = services.notice_recipient(notice)
    return render(request, "licensing/bundles/notices_overdue.html", {"overdue": overdue, "open_notices": open_notices})
