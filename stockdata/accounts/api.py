from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from stockdata.accounts.models import Organisation, User
from stockdata.errors import ApplicationError


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "billing_name", "billing_address", "country", "invoice_registration_number"]


class MeSerializer(serializers.ModelSerializer):
    organisation = OrganisationSerializer(read_only=True)

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


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenView(ObtainAuthToken):
    """Exchange an email and password for an API token (send it as ``Authorization: Token <key>``)."""

    permission_classes = [AllowAny]

    @extend_schema(request=TokenSerializer, responses=TokenResponseSerializer)
    def post(self, request, *args, **kwargs):
        serializer = TokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request, email=serializer.validated_data["email"], password=serializer.validated_data["password"]
        )
        if user is None:
            raise ApplicationError(_("Email or password is wrong."), code="authentication_failed")
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
