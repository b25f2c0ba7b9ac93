import uuid
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language

from stockdata.accounts import services, two_factor
from stockdata.accounts.models import Role, User
from stockdata.accounts.permissions import user_has_role
from stockdata.client_ip import client_ip
from stockdata.i18n import language_of, language_or_default
from stockdata.mail.services import email_send_template, site_url

# Where each role starts its day; the first role the user has wins (an admin is staff first).
ROLE_HOMES = [(Role.CONTRIBUTOR, "contributors:dashboard"), (Role.BUYER, "licensing:order_list")]


def _home_for(user) -> str:
    if user.is_authenticated and user.is_active and user.is_staff:
        # Before the second factor they are not staff yet; the code prompt sends them on here.
        return reverse("core:staff_dashboard")
    for role, url_name in ROLE_HOMES:
        if user_has_role(user, role):
            return reverse(url_name)
    return ""


class AccountAdapter(DefaultAccountAdapter):
    """Signs people up with their role in one transaction.

    The role-specific signup form registers the user (and the buyer's organisation)
    through the accounts services before the first save, so no buyer ever exists
    without an organisation; the terms of use they accepted on the form are recorded
    with them. At sign-in, someone who has not accepted the terms now in force is
    asked to first.
    """

    @transaction.atomic
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.language = language_or_default(get_language())  # their e-mails' language until they switch
        register = getattr(form, "register", None)
        if register is not None:
            user = register(user)
        else:
            user.save()
        version = services.terms_current()
        if version is not None and getattr(form, "cleaned_data", {}).get("accept_terms"):
            services.terms_accept(user=user, version=version, ip=request.META.get("REMOTE_ADDR") or None)
        return user

    def get_client_ip(self, request):
        """allauth's rate limits count by the client behind our trusted proxies (``stockdata.client_ip``)."""
        ip = client_ip(request)
        if not ip:
            return super().get_client_ip(request)
        return ip

    def get_login_redirect_url(self, request):
        """Each role lands where its day's work is (when the login names no ``next`` page): staff
        on the staff home, contributors on their portal, buyers on their orders. Staff who owe a
        second factor go to the code prompt (or to setup) first."""
        url = _home_for(request.user) or super().get_login_redirect_url(request)
        if two_factor.staff_verification_needed(request.user):
            return two_factor.verification_url(request.user, url)
        return url

    def send_mail(self, template_prefix, email, context):
        """allauth's e-mails (password reset, address confirmation) go out like all others:
        ``email_send_template`` with the base template, the subject prefix, the recipient's
        language (their account's, else the page's) and links on the configured site URL.

        Each request is its own e-mail (a new reset link each time), so the key is random; the
        body holds a private link, so the outbox erases it once sent.
        """
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        for name, value in ctx.items():  # allauth builds its links from the request's host
            if name.endswith("_url") and isinstance(value, str) and value.startswith(("http://", "https://")):
                parts = urlsplit(value)
                ctx[name] = site_url(urlunsplit(("", "", parts.path, parts.query, parts.fragment)))
        account = User.objects.filter(email__iexact=email).only("language").first()
        language = language_of(account) if account and account.language else language_or_default(get_language())
        email_send_template(
            key=f"account:{template_prefix.rsplit('/', 1)[-1]}:{uuid.uuid4().hex}",
            to=[email],
            template=template_prefix,
            context=ctx,
            language=language,
            secret=True,
        )

    def post_login(self, request, user, **kwargs):
        """Someone who has not accepted the terms of use in force is asked to at sign-in, then
        sent where they were going (whether or not the login named a ``next`` page)."""
        response = super().post_login(request, user, **kwargs)
        location = response.get("Location") if response.status_code in (301, 302) else None
        if location and not kwargs.get("signup") and services.terms_to_accept(user) is not None:
            response["Location"] = reverse("core:terms_accept") + "?" + urlencode({"next": location})
        return response
