"""Bundle delivery pages: the live status of a line's bundle and its downloads.

Anyone but a member of the buying organisation gets 404, as if the order did not exist.
"""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header, http_date
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
    can_download = has_any_org_role(request.user, line.order.organisation_id, DOWNLOADING)
    return render(request, "licensing/_order_line_delivery.html", {"line": line, "can_download": can_download})


@require_POST
def bundle_download(request, order_uuid, line_id):
    """Log the download and send the buyer to a fresh link that works for a few minutes."""
    line = _line_or_404(request, order_uuid, line_id)
    try:
        part = request.POST.get("part", "")
        url = services.bundle_download(
            line=line,
            user=request.user,
            ip=client_ip(request),
            part=int(part) if part.isascii() and part.isdigit() else None,
        )
    except services.DownloadRefused as exc:
        return render(
            request,
            "licensing/bundles/download_refused.html",
            {"line": line, "message": exc.message},
            status=exc.status,
        )
    return HttpResponseRedirect(url)


_RANGE_SPEC = re.compile(r"^\s*([0-9]{0,19})\s*-\s*([0-9]{0,19})\s*$", re.ASCII)


def parse_range_header(header: str) -> list[tuple[int | None, int | None]] | None:
    """The byte ranges of a ``Range`` header as (first, last) pairs (``None`` where the header left
    it out: ``-500`` is the last 500 bytes, ``9500-`` from byte 9500 on); ``None`` when the header is
    absent or not a bytes range we understand (RFC 9110: the request is then answered whole)."""
    unit, _eq, spec = (header or "").partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        return None
    ranges = []
    for part in spec.split(","):
        match = _RANGE_SPEC.match(part)
        if not match or (not match.group(1) and not match.group(2)):
            return None
        first = int(match.group(1)) if match.group(1) else None
        last = int(match.group(2)) if match.group(2) else None
        if first is not None and last is not None and last < first:
            return None  # invalid syntax: ignored, as RFC 9110 says
        ranges.append((first, last))
    return ranges


def resolve_ranges(ranges, size: int) -> list[tuple[int, int]]:
    """The satisfiable ranges as inclusive (start, end) offsets into ``size`` bytes; empty when none is."""
    resolved = []
    for first, last in ranges:
        if first is None:  # suffix: the last `last` bytes
            if not last or not size:
                continue
            resolved.append((max(0, size - last), size - 1))
        elif first < size:
            resolved.append((first, size - 1 if last is None else min(last, size - 1)))
    return resolved


def _etag(bundle) -> str:
    return services.bundle_etag(bundle)


def _not_satisfiable(size: int) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    return response


@require_GET
def bundle_file(request, token):
    """Local storage only: stream the archive, to the signed-in member the link was issued to.

    Every fetch is logged (``services.bundle_fetch``). ``Range`` (one range, a suffix, an open end,
    or several as ``multipart/byteranges``) and ``If-Range`` resume an interrupted download with
    206 without counting it again; a range past the end gets 416. Anyone else, or a bad link, gets
    404. The archive may be the shared base's prefix + this buyer's tail: it is served as one file.
    """
    if not request.user.is_authenticated:
        # Not a login redirect: its ?next= would carry the secret into more logs.
        raise Http404
    ranges = parse_range_header(request.headers.get("Range", ""))
    if_range = request.headers.get("If-Range", "")
    try:
        bundle = services.bundle_fetch(
            token=token, user=request.user, ip=client_ip(request), byte_ranges=ranges, if_range=if_range
        )
    except services.DownloadRefused as exc:
        if exc.status == 404:
            raise Http404 from None
        if exc.status == 416:
            return _not_satisfiable(exc.extra.get("size", "*"))
        return render(
            request,
            "licensing/bundles/download_refused.html",
            {"line": None, "message": exc.message},
            status=exc.status,
        )
    size = bundle.byte_size
    resolved = resolve_ranges(ranges, size) if ranges and services.if_range_holds(bundle, if_range) else []
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": _etag(bundle),
        "Content-Disposition": content_disposition_header(True, bundle.file_name),
    }
    ready_at = bundle.bundle.ready_at if hasattr(bundle, "bundle") else bundle.ready_at  # a part, or a bundle
    if ready_at is not None:
        headers["Last-Modified"] = http_date(ready_at.timestamp())
    accel = getattr(settings, "STOCKDATA_DOWNLOAD_X_ACCEL_PREFIX", "")
    if accel and not bundle.base_prefix:
        # nginx sends the file (and answers Range itself); the check and the log entry were ours.
        response = HttpResponse(content_type="application/zip")
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + bundle.archive
        response["X-Accel-Buffering"] = "no"
        for key, value in headers.items():
            response[key] = value
        return response
    if not resolved:
        response = StreamingHttpResponse(services.bundle_read(bundle), content_type="application/zip")
        response["Content-Length"] = str(size)
    elif len(resolved) == 1:
        start, end = resolved[0]
        response = StreamingHttpResponse(
            services.bundle_read(bundle, start, end), status=206, content_type="application/zip"
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    else:
        boundary = secrets.token_hex(16)
        heads = [
            (
                f"\r\n--{boundary}\r\nContent-Type: application/zip\r\n"
                f"Content-Range: bytes {start}-{end}/{size}\r\n\r\n"
            ).encode("ascii")
            for start, end in resolved
        ]
        closing = f"\r\n--{boundary}--\r\n".encode("ascii")

        def body():
            for head, (start, end) in zip(heads, resolved, strict=True):
                yield head
                yield from services.bundle_read(bundle, start, end)
            yield closing

        response = StreamingHttpResponse(body(), status=206, content_type=f"multipart/byteranges; boundary={boundary}")
        length = sum(len(h) for h in heads) + len(closing) + sum(end - start + 1 for start, end in resolved)
        response["Content-Length"] = str(length)
    for key, value in headers.items():
        response[key] = value
    return response


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
