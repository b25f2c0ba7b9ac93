from allauth.account import app_settings as allauth_settings
from allauth.account.utils import has_verified_email
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from stockdata.accounts import tokens, two_factor
from stockdata.accounts.lockout import lockout_message
from stockdata.accounts.models import ApiToken, Organisation, User
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


@extend_schema_view(
    get=extend_schema(
        summary="Who you are", description="The signed-in user: e-mail, name, role and, for a buyer, the organisation."
    ),
)
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
    device = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="A name for the device or program that will use the token, shown in your token list.",
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The key, shown this once: only its digest is stored.")
    id = serializers.UUIDField(source="public_id", help_text="Names the token to revoke it.")
    device = serializers.CharField(source="name")
    expiry = serializers.DateTimeField()


class ApiTokenSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    device = serializers.CharField(source="name", read_only=True)
    current = serializers.SerializerMethodField(help_text="Whether this request was made with this token.")

    class Meta:
        model = ApiToken
        fields = ["id", "device", "created", "expiry", "last_used", "current"]

    def get_current(self, token) -> bool:
        auth = self.context["request"].auth
        return isinstance(auth, ApiToken) and auth.pk == token.pk


def email_verification_owed(user) -> bool:
    """Whether ``user`` may not sign in yet: verification is mandatory and their address is unconfirmed."""
    mandatory = allauth_settings.EMAIL_VERIFICATION == allauth_settings.EmailVerificationMethod.MANDATORY
    return mandatory and not has_verified_email(user, user.email)


@extend_schema_view(
    post=extend_schema(summary="Get an API token"),
)
class TokenView(APIView):
    """Exchange an email and password for a new API token for one device (send it as
    ``Authorization: Token <key>``). Tokens expire (``expiry``), are stored only as a digest, and
    are revoked when the password changes; list and revoke them at ``/api/v1/auth/tokens/``.

    Staff who need a second factor also send ``otp``: a token is as good as a verified session.
    Repeated wrong passwords lock the email out from that address, as on the login page.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

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
        token, key = tokens.api_token_issue(user=user, name=serializer.validated_data.get("device", ""))
        return Response(
            TokenResponseSerializer(
                {"token": key, "public_id": token.public_id, "name": token.name, "expiry": token.expiry}
            ).data
        )

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


@extend_schema_view(
    get=extend_schema(summary="List your API tokens"),
)
class ApiTokenListView(APIView):
    """Your API tokens that still work, newest first (the keys themselves are never shown again)."""

    @extend_schema(responses=ApiTokenSerializer(many=True))
    def get(self, request):
        serializer = ApiTokenSerializer(tokens.api_tokens_of(request.user), many=True, context={"request": request})
        return Response(serializer.data)


@extend_schema_view(
    delete=extend_schema(summary="Revoke an API token"),
)
class ApiTokenDetailView(APIView):
    """Revoke one of your API tokens (at once: the next request with it gets 403)."""

    @extend_schema(responses={204: None})
    def delete(self, request, public_id):
        try:
            tokens.api_token_revoke(user=request.user, public_id=public_id)
        except ApiToken.DoesNotExist:
            raise ApplicationError(_("No such token."), code=ErrorCode.NOT_FOUND, status=404) from None
        return Response(status=204)
