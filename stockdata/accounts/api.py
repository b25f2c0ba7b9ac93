from allauth.account import app_settings as allauth_settings
from allauth.account.utils import has_verified_email
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from stockdata.accounts import two_factor
from stockdata.accounts.lockout import lockout_message
from stockdata.accounts.models import Organisation, User
from stockdata.errors import ApplicationError, ErrorCode


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "billing_name", "billing_address", "country", "invoice_registration_number"]


class MeSerializer(serializers.ModelSerializer):
    organisation = OrganisationSerializer(read_only=True, allow_null=True)  # null for all but buyers

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "is_staff", "organisation"]


class MeView(APIView):
    """The signed-in account: who you are, your role and your organisation."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class TokenSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    otp = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="Staff with two-factor authentication: the current code from the authenticator app.",
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


def email_verification_owed(user) -> bool:
    """Whether ``user`` may not sign in yet: verification is mandatory and their address is unconfirmed."""
    mandatory = allauth_settings.EMAIL_VERIFICATION == allauth_settings.EmailVerificationMethod.MANDATORY
    return mandatory and not has_verified_email(user, user.email)


class TokenView(ObtainAuthToken):
    """Exchange an email and password for an API token (send it as ``Authorization: Token <key>``).

    Staff who need a second factor also send ``otp``: a token is as good as a verified session.
    Repeated wrong passwords lock the email out from that address, as on the login page.
    """

    permission_classes = [AllowAny]

    @extend_schema(request=TokenSerializer, responses=TokenResponseSerializer)
    def post(self, request, *args, **kwargs):
        serializer = TokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # django-axes records the attempt on the Django request, where its middleware looks.
        user = authenticate(
            request._request, email=serializer.validated_data["email"], password=serializer.validated_data["password"]
        )
        if user is None:
            if getattr(request._request, "axes_locked_out", False):
                raise ApplicationError(lockout_message(), code=ErrorCode.LOCKED_OUT, status=429)
            raise ApplicationError(_("Email or password is wrong."), code=ErrorCode.AUTHENTICATION_FAILED)
        if email_verification_owed(user):
            # The same rule as the login page: with mandatory verification an unconfirmed address
            # gets nothing, or anyone could act as procurement@<a real company>.
            raise ApplicationError(
                _(
                    "Confirm your email address first: follow the link in the email we sent you "
                    "(signing in on the website sends a new one), then ask for a token again."
                ),
                code=ErrorCode.EMAIL_UNVERIFIED,
                status=403,
            )
        if two_factor.second_factor_required(user):
            self._require_second_factor(user, serializer.validated_data.get("otp", ""))
        token = two_factor.api_token_issue(user=user)
        return Response({"token": token.key})

    @staticmethod
    def _require_second_factor(user, code: str) -> None:
        if not two_factor.user_has_authenticator(user):
            raise ApplicationError(
                _("Staff accounts need two-factor authentication: set it up in the browser, then ask for a token."),
                code=ErrorCode.TWO_FACTOR_SETUP_REQUIRED,
                status=403,
            )
        if not code.strip():
            raise ApplicationError(
                _("Enter the current code from your authenticator app in the otp field."),
                code=ErrorCode.OTP_REQUIRED,
                field="otp",
            )
        try:
            two_factor.second_factor_verify(user=user, code=code)
        except ApplicationError as exc:
            exc.field = "otp"
            raise
