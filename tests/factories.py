"""factory_boy factories for test data. They build rows directly: tests of services call the services."""

from __future__ import annotations

import factory

from opsdesk.accounts.models import Contract, Organisation, RoleGrant, User
from opsdesk.incidents.models import IncidentCategory

PASSWORD = "opsdesk-test-pw"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"org{n}")
    name = factory.Sequence(lambda n: f"客户单位{n}")


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"运维服务合同{n}")
    organisation = factory.SubFactory(OrganisationFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentCategory
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"类别{n}")


def grant(user: User, role: str, contract: Contract) -> User:
    RoleGrant.objects.get_or_create(user=user, role=role, contract=contract)
    if hasattr(user, "_opsdesk_access"):
        del user._opsdesk_access
    return user
