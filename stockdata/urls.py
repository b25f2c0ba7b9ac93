import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from catalog.photos import views as photo_views
from contributors.urls import payout_urlpatterns
from stockdata.accounts import api as accounts_api
from stockdata.accounts import views as accounts_views
from stockdata.core import health_views
from stockdata.core import views as core_views

api_v1 = [
    path("auth/token/", accounts_api.TokenView.as_view(), name="token"),
    path("auth/tokens/", accounts_api.ApiTokenListView.as_view(), name="api-token-list"),
    path("auth/tokens/<uuid:public_id>/", accounts_api.ApiTokenDetailView.as_view(), name="api-token-detail"),
    path("me/", accounts_api.MeView.as_view(), name="me"),
    path("", include("catalog.photos.api.urls")),
    path("", include("catalog.storefront.api.urls")),
    path("", include("catalog.curation.api.urls")),
    path("", include("licensing.consent.api.urls")),
    path("", include("licensing.commerce.api.urls")),
    path("", include("licensing.delivery.api.urls")),
    path("", include("contributors.api.urls")),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz/", health_views.liveness, name="healthz"),
    path("healthz/ready/", health_views.readiness, name="healthz_ready"),
    path("i18n/", include("django.conf.urls.i18n")),
    # A photo's thumbnail and preview before approval: its contributor and staff only.
    re_path(
        r"^photos/(?P<uuid>[0-9a-f-]{36})/(?P<kind>thumbnail|preview)\.jpg$",
        photo_views.photo_derived,
        name="photo_derived",
    ),
    # Role-specific sign-up pages shadow allauth's generic one.
    path("accounts/signup/", accounts_views.SignupChoiceView.as_view(), name="account_signup"),
    path("accounts/signup/contributor/", accounts_views.ContributorSignupView.as_view(), name="signup_contributor"),
    path("accounts/signup/buyer/", accounts_views.BuyerSignupView.as_view(), name="signup_buyer"),
    path("accounts/", include("stockdata.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("portal/", include("contributors.urls")),
    path("", include("stockdata.notifications.urls")),
    path("", include("licensing.urls")),
    path("datasets/", include("catalog.storefront.urls")),
    path("staff/datasets/", include("catalog.curation.urls")),
    path("staff/payouts/", include((payout_urlpatterns, "payouts"))),
    path("", include("stockdata.core.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script as a file, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
]

# Thumbnails and previews on local disk (the embedded default); on S3 they have their own
# URLs. Private files are never under any URL.
if not settings.STORAGES["public"]["BACKEND"].endswith("S3Storage"):
    urlpatterns += [
        re_path(
            r"^{}(?P<path>.*)$".format(re.escape(settings.PUBLIC_MEDIA_URL.lstrip("/"))),
            serve,
            {"document_root": settings.STORAGES["public"]["OPTIONS"]["location"]},
        )
    ]

handler404 = "stockdata.core.views.error_404"
handler500 = "stockdata.core.views.error_500"
