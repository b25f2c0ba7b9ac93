"""API tokens: one per device, hashed, expiring, revocable (django-rest-knox with our ``ApiToken``).

Only the SHA-512 digest of a token is stored, so neither the database nor a backup can give one
back; the key is shown once, when it is issued. Every token expires after
``REST_KNOX["TOKEN_TTL"]``; its owner lists and revokes them on the profile page or through the
API; all of a user's tokens are revoked when their password changes or is reset and when the
account is deactivated (``stockdata.accounts.receivers``).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.settings import knox_settings

from stockdata.accounts.models import ApiToken
from stockdata.errors import ApplicationError, ErrorCode

#: ``last_used`` is written at most this often per token, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=5)


# --- Selectors -------------------------------------------------------------------------------------


def api_tokens_of(user):
    """``user``'s tokens that still work, newest first."""
    now = timezone.now()
    return ApiToken.objects.filter(user_id=user.pk).exclude(expiry__lte=now).order_by("-created")


def api_token_of(user, public_id) -> ApiToken:
    """One of ``user``'s own tokens; anyone else's (or none) raises ``ApiToken.DoesNotExist``."""
    return api_tokens_of(user).get(public_id=public_id)


# --- Services --------------------------------------------------------------------------------------


@transaction.atomic
def api_token_issue(*, user, name: str = "") -> tuple[ApiToken, str]:
    """A new token for one device: the record and the key, which exists nowhere else afterwards.

    Expired tokens are removed; past ``REST_KNOX["TOKEN_LIMIT_PER_USER"]`` live tokens the
    request is refused (revoke one first), so a leaked password cannot mint tokens without end.
    """
    ApiToken.objects.filter(user_id=user.pk, expiry__lte=timezone.now()).delete()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is not None and api_tokens_of(user).count() >= limit:
        raise ApplicationError(
            _("You already have %(limit)d API tokens. Revoke one on your profile page first.") % {"limit": limit},
            code=ErrorCode.TOO_MANY_TOKENS,
            status=409,
        )
    return ApiToken.objects.create(user=user, name=(name or "").strip()[:100])


def api_token_revoke(*, user, public_id) -> None:
    """Revoke one of ``user``'s own tokens (``ApiToken.DoesNotExist`` for anyone else's)."""
    api_token_of(user, public_id).delete()


def api_tokens_revoke_all(*, user) -> int:
    """Revoke every token of ``user``; the number revoked."""
    count, _per_model = ApiToken.objects.filter(user_id=user.pk).delete()
    return count


def api_token_touch(token: ApiToken) -> None:
    """Record that ``token`` was used (to the nearest few minutes)."""
    now = timezone.now()
    if token.last_used is None or now - token.last_used >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
