"""Withdrawal notices for buyers' tools: the notices of the organisation (tombstone, deadline, status)
and the deletion confirmation. The same services and permission as the pages."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from licensing.delivery import services
from licensing.delivery.models import WithdrawalNotice
from stockdata.client_ip import client_ip
from stockdata.errors import ApplicationError, ErrorCode


class TombstoneFileSerializer(serializers.Serializer):
    file = serializers.CharField()
    sha256 = serializers.CharField(allow_blank=True)


class WithdrawalNoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    reference = serializers.CharField(help_text="The order number (or evaluation pack) the files came with.")
    dataset = serializers.CharField()
    dataset_version = serializers.IntegerField()
    notified_at = serializers.DateTimeField(source="created_at")
    delete_by = serializers.DateField(source="due_on")
    status = serializers.ChoiceField(choices=["notified", "overdue", "confirmed"])
    files = TombstoneFileSerializer(many=True)


class DeletionConfirmationSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    role = serializers.CharField(max_length=200)
    deleted_on = serializers.DateField()
    statement = serializers.BooleanField(
        help_text="true: the files are deleted from all copies and excluded from new training runs."
    )


def _visible(user):
    """The notices ``user`` may see; each is still checked with ``can_confirm_deletion``."""
    if not getattr(user, "is_authenticated", False):
        return WithdrawalNotice.objects.none()
    condition = Q(evaluation_pack__buyer=user)
    if user.organisation_id is not None:
        condition |= Q(order_line__order__organisation_id=user.organisation_id)
    return (
        WithdrawalNotice.objects.filter(condition)
        .select_related(
            "order_line__order", "order_line__version__dataset", "evaluation_pack__version__dataset", "confirmation"
        )
        .order_by("-created_at", "-pk")
    )


def _data(notice) -> dict:
    _user, _title, reference = services.notice_recipient(notice)
    version = notice.evaluation_pack.version if notice.evaluation_pack_id else notice.order_line.version
    return {
        "pk": notice.pk,
        "reference": reference,
        "dataset": version.dataset.slug,
        "dataset_version": version.number,
        "created_at": notice.created_at,
        "due_on": notice.due_on,
        "status": notice.status_at(timezone.localdate()),
        "files": notice.tombstone or [{"file": f, "sha256": ""} for f in notice.file_names],
    }


def _notice_or_404(user, pk: int):
    notice = _visible(user).filter(pk=pk).first()
    if notice is None or not services.can_confirm_deletion(user, notice):
        raise ApplicationError("Not found.", code=ErrorCode.NOT_FOUND, status=404)
    return notice


class WithdrawalNoticeListApiView(APIView):
    @extend_schema(
        responses=WithdrawalNoticeSerializer(many=True),
        summary="Your withdrawal notices",
        description=(
            "The notices sent to your organisation because a person in a dataset it received withdrew their "
            "consent: the tombstone (each file to delete with its SHA-256), the deadline and whether a deletion "
            "confirmation was given. Owners and compliance members only."
        ),
    )
    def get(self, request):
        notices = [n for n in _visible(request.user) if services.can_confirm_deletion(request.user, n)]
        return Response(WithdrawalNoticeSerializer([_data(n) for n in notices], many=True).data)


class WithdrawalNoticeConfirmApiView(APIView):
    @extend_schema(
        request=DeletionConfirmationSerializer,
        responses={201: WithdrawalNoticeSerializer},
        summary="Confirm the deletion a withdrawal notice asks for",
        description=(
            "A named person at your organisation (an owner or compliance member) confirms that the files the "
            "notice lists were deleted from all copies and excluded from new training runs. It closes the notice; "
            "a second confirmation is refused."
        ),
    )
    def post(self, request, notice_id: int):
        notice = _notice_or_404(request.user, notice_id)
        body = DeletionConfirmationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.deletion_confirm(notice=notice, user=request.user, ip=client_ip(request), **body.validated_data)
        notice = _notice_or_404(request.user, notice_id)
        return Response(WithdrawalNoticeSerializer(_data(notice)).data, status=status.HTTP_201_CREATED)
