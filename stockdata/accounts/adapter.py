from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction


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
