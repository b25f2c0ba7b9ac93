"""API authentication: hashed, expiring tokens (django-rest-knox), aware of staff two-factor sign-in."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions

from stockdata.accounts import tokens, two_factor


class TokenAuthentication(KnoxTokenAuthentication):
    """``Authorization: Token <key>``, checked against the stored SHA-512 digests; expired tokens
    are refused (and deleted), so are tokens of a deactivated account.

    The token endpoint hands a staff member who needs a second factor a token only with a
    valid code (``otp``), so a request made with such a token counts as verified; a token
    older than the authenticator does not (see ``two_factor.token_counts_as_verified``).
    """

    def authenticate_credentials(self, key):
        try:
            key.decode("ascii")
        except (UnicodeDecodeError, AttributeError):
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        user, token = super().authenticate_credentials(key)
        verified = two_factor.token_counts_as_verified(user, token)
        user.is_verified = lambda: verified
        tokens.api_token_touch(token)
        return user, token


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The scheme in the OpenAPI schema: ``Authorization: Token <key>``, a key from ``POST /api/v1/auth/token/``."""

    target_class = "stockdata.accounts.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        definition = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
        definition["description"] = (
            "A key from POST /api/v1/auth/token/, one per device; it expires (see `expiry`), is stored only "
            "as a digest, and is revoked by DELETE /api/v1/auth/tokens/{id}/ or any password change."
        )
        return definition
