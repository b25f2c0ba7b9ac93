from django.urls import path

from stockdata.accounts import two_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<uuid:public_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("profile/tokens/revoke-all/", views.api_tokens_revoke_all, name="api_tokens_revoke_all"),
    path("organisation/", views.organisation, name="organisation"),
    path("organisation/invite/", views.member_invite, name="member_invite"),
    path("organisation/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("organisation/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("invitation/<str:token>/signup/", views.InvitedSignupView.as_view(), name="invitation_signup"),
    path("2fa/", two_factor_views.overview, name="two_factor"),
    path("2fa/setup/", two_factor_views.setup, name="two_factor_setup"),
    path("2fa/verify/", two_factor_views.verify, name="two_factor_verify"),
    path("2fa/disable/", two_factor_views.disable, name="two_factor_disable"),
]
