from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from stockdata.accounts import two_factor


class AccountAdapter(DefaultAccountAdapter):
    """Signs people up with their role in one transaction.

    The role-specific signup form registers the user (and the buyer's organisation)
    through the accounts services before the first save, so no buyer ever exists
    without an organisation.
    """

    @transaction.atomic
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        register = getattr(form, "register", None)
        if register is not None:
            return register(user)
        user.save()
        return user

    def get_login_redirect_url(self, request):
        """Staff who owe a second factor go to the code prompt (or to setup) first."""
        url = super().get_login_redirect_url(request)
        if two_factor.staff_verification_needed(request.user):
            return two_factor.verification_url(request.user, url)
        return url
