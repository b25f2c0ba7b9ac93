"""What every page's template may use: the navigation each role sees, the tax rate prices include."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from licensing.commerce.selectors import cart_line_count
from stockdata.accounts.models import Role
from stockdata.accounts.permissions import MEMBERS, PURCHASING, has_any_org_role, user_has_role
from stockdata.company import company
from stockdata.i18n import language_codes, split_language_prefix
from stockdata.money import CONSUMPTION_TAX_RATE_PERCENT


def _items(user):
    """(label, href, count): the count is shown as a badge (the cart's lines), None for none."""
    items = [(_("Datasets"), reverse("catalog:list"))]  # the storefront, for everyone
    if user_has_role(user, Role.CONTRIBUTOR):
        items += [
            (_("Portal"), reverse("contributors:dashboard")),
            (_("Upload"), reverse("contributors:upload")),
            (_("Missions"), reverse("contributors:missions")),
            (_("My photos"), reverse("contributors:photo_list")),
            (_("Releases"), reverse("licensing:release_list")),
            (_("Notifications"), reverse("notifications:list")),
            (_("Earnings"), reverse("contributors:earnings")),
        ]
    if user_has_role(user, Role.BUYER):
        # Each member sees the parts their role in the organisation covers (``has_org_role``).
        org = user.organisation_id
        if has_any_org_role(user, org, PURCHASING):
            items += [
                (_("Cart"), reverse("licensing:cart"), cart_line_count(user)),
                (_("Requests"), reverse("licensing:dataset_requests")),
            ]
        items.append((_("Orders"), reverse("licensing:order_list")))
        if has_any_org_role(user, org, MEMBERS):
            items.append((_("Organisation"), reverse("accounts:organisation")))
    if user_has_role(user, Role.STAFF):
        items += [
            (_("Review queue"), reverse("licensing:review_queue")),
            (_("Orders"), reverse("licensing:staff_orders")),
            (_("Requests"), reverse("licensing:staff_dataset_requests")),
            (_("Staff"), reverse("core:staff_dashboard")),
            (_("Payouts"), reverse("payouts:run_list")),
            (_("Admin"), reverse("admin:index")),
        ]
    return [item if len(item) == 3 else (*item, None) for item in items]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"nav_items": _items(user), "nav_role": getattr(user, "role", "") if user.is_authenticated else "anonymous"}


def tax(request):
    """The consumption tax rate, from ``stockdata.money`` (never written into a template)."""
    return {"tax_rate_percent": CONSUMPTION_TAX_RATE_PERCENT}


def legal(request):
    """The company's identity (``stockdata.company``) for the footer and the legal pages."""
    return {"company": company()}


def languages(request):
    """The language switcher and the hreflang alternates: this page under ``/ja/`` and ``/en/``
    (``stockdata.middleware.LanguagePrefixMiddleware``), the query string kept."""
    error_page = getattr(request, "error_page", False)  # a 404 says nothing about the address
    path = "/" if error_page else split_language_prefix(request.path_info)[1]
    query = "" if error_page else request.META.get("QUERY_STRING", "")
    suffix = f"?{query}" if query else ""
    names = {"ja": "日本語", "en": "English"}
    switch = [
        {"code": code, "name": names.get(code, code), "url": f"/{code}{path}{suffix}"} for code in language_codes()
    ]
    if error_page:
        return {"language_switch": switch}
    return {
        "language_switch": switch,
        "language_alternates": [(item["code"], request.build_absolute_uri(item["url"])) for item in switch],
        "language_default_url": request.build_absolute_uri(path + suffix),
    }
