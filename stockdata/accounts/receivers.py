"""Accounts reacting to their own users' changes: API tokens end with the password that issued them;
a completed password reset lifts the login lockout; staff sessions are kept short."""

from __future__ import annotations

import time

from allauth.account.signals import password_reset
from axes.utils import reset as axes_reset
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from stockdata.accounts import tokens
from stockdata.accounts.middleware import STAFF_SIGNED_IN_AT
from stockdata.accounts.models import User


@receiver(pre_save, sender=User, dispatch_uid="accounts.tokens_end_with_password")
def _note_password_or_deactivation(sender, instance: User, raw=False, **kwargs):
    """A new password (``set_password``: change, reset, the admin, ``changepassword``; not Django's
    silent re-hash on login) or a deactivation revokes every API token once the save succeeds."""
    instance._stockdata_revoke_tokens = False
    if raw or instance._state.adding or instance.pk is None:
        return
    new_password = getattr(instance, "_password", None) is not None
    deactivated = not instance.is_active and User.objects.filter(pk=instance.pk, is_active=True).exists()
    instance._stockdata_revoke_tokens = new_password or deactivated


@receiver(post_save, sender=User, dispatch_uid="accounts.tokens_revoked_after_save")
def _revoke_tokens(sender, instance: User, created=False, raw=False, **kwargs):
    if getattr(instance, "_stockdata_revoke_tokens", False):
        instance._stockdata_revoke_tokens = False
        tokens.api_tokens_revoke_all(user=instance)


@receiver(password_reset, dispatch_uid="accounts.password_reset_lifts_lockout")
def _lift_lockout(sender, request, user, **kwargs):
    """Whoever completed a reset proved they own the address: the login lockout for it ends,
    from every client (someone else's wrong guesses must not keep the owner out)."""
    axes_reset(username=user.email.lower())


@receiver(user_logged_in, dispatch_uid="accounts.staff_sessions_are_short")
def _stamp_staff_session(sender, request, user, **kwargs):
    """Note when a staff member signed in: ``StaffSessionAgeMiddleware`` ends the session after
    ``STOCKDATA_STAFF_SESSION_SECONDS`` (12 hours), whatever the cookie says."""
    if user.is_staff and request is not None and hasattr(request, "session"):
        request.session[STAFF_SIGNED_IN_AT] = int(time.time())
