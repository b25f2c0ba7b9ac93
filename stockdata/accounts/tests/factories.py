import factory
from factory.django import DjangoModelFactory

from contributors.models import ContributorProfile
from stockdata.accounts.models import Organisation, Role, User

PASSWORD = "correct-horse-battery-42"


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Buyer Org {n}")
    kind = Organisation.Kind.COMPANY
    billing_name = factory.LazyAttribute(lambda o: f"{o.name} 株式会社")
    billing_address = "東京都港区1-2-3"
    country = "JP"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.CONTRIBUTOR
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def terms_accepted(obj, create, extracted, **kwargs):
        """Like everyone who signs up, a user has accepted the terms in force (``terms_accepted=False`` not)."""
        if create and extracted is not False:
            from stockdata.accounts.services import terms_accept, terms_current

            version = terms_current()
            if version is not None:
                terms_accept(user=obj, version=version)


class ContributorFactory(UserFactory):
    role = Role.CONTRIBUTOR
    profile = factory.RelatedFactory(
        "stockdata.accounts.tests.factories.ContributorProfileFactory", factory_related_name="user"
    )


class ContributorProfileFactory(DjangoModelFactory):
    class Meta:
        model = ContributorProfile

    display_name = factory.Faker("name")


class BuyerFactory(UserFactory):
    role = Role.BUYER
    organisation = factory.SubFactory(OrganisationFactory)


class StaffFactory(UserFactory):
    role = Role.STAFF
    is_staff = True
