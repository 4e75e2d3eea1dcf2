"""CMDB helpers: `ci(key, type)` creates an item of contract A through the service, as the engineer."""

from __future__ import annotations

import pytest

from opsdesk.cmdb import services
from opsdesk.cmdb.models import CIType


@pytest.fixture
def ci(world):
    def make(key: str, type_code: str = "server", *, name: str = "", contract=None, **kwargs):
        attributes = kwargs.pop("attributes", None)
        if attributes is None and type_code in ("server", "virtual_machine"):
            attributes = {"hostname": key}
        return services.item_create(by=kwargs.pop("by", None) or world.engineer, contract=contract or world.contract_a,
                                    ci_type=CIType.objects.get(code=type_code), key=key, name=name or key,
                                    attributes=attributes, **kwargs)
    return make


@pytest.fixture
def relate(world):
    def make(source, kind: str, target):
        return services.relationship_create(by=world.engineer, source=source, target=target, kind=kind)
    return make
