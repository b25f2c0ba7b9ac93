"""API authentication: DRF's token scheme, aware of staff two-factor sign-in."""

from rest_framework import authentication

from stockdata.accounts import two_factor


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``Authorization: Token <key>``.

    The token endpoint hands a staff member who needs a second factor a token only with a
    valid code (``otp``), so a request made with such a token counts as verified; a token
    older than the authenticator does not (see ``two_factor.token_counts_as_verified``).
    """

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        verified = two_factor.token_counts_as_verified(user, token)
        user.is_verified = lambda: verified
        return user, token
