import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.urls import reverse
from django.utils.http import urlencode

from stockdata.accounts import services, two_factor
from stockdata.client_ip import client_ip
from stockdata.mail.services import email_send


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
        """Staff who owe a second factor go to the code prompt (or to setup) first."""
        url = super().get_login_redirect_url(request)
        if two_factor.staff_verification_needed(request.user):
            return two_factor.verification_url(request.user, url)
        return url

    def send_mail(self, template_prefix, email, context):
        """allauth's e-mails (password reset, address confirmation) go through the outbox like all others.

        allauth's own ``send_mail`` with ``msg.send()`` replaced. Each request is its own e-mail
        (a new reset link each time), so the key is random; the body holds a private link, so
        the outbox erases it once sent.
        """
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        body, html = message.body, ""
        if message.content_subtype == "html":
            body, html = "", message.body
        for content, mimetype in getattr(message, "alternatives", ()):
            if mimetype == "text/html":
                html = content
        email_send(
            key=f"account:{template_prefix.rsplit('/', 1)[-1]}:{uuid.uuid4().hex}",
            to=message.to,
            subject=message.subject,
            body=body,
            html=html,
            from_email=message.from_email or "",
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
