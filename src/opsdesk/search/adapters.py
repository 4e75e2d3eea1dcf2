"""The adapters of the types searchable today (incidents). Later types add their adapter here or in their
own app's `ready` with `registry.register`."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import Access
from opsdesk.core.sql import q

from .registry import Document, register


class IncidentAdapter:
    """Incidents: title; system, category and error message as keywords; description, symptom, steps and
    solution as body. Visibility is the ticket rule of accounts.selectors.ticket_visibility_q: requesters
    their own incidents, client contacts their organisation's, staff the contracts they hold a role on."""

    kind = "incident"
    label = _("Incident")

    @property
    def model(self) -> type[models.Model]:
        from opsdesk.incidents.models import Incident

        return Incident

    def queryset(self) -> models.QuerySet[Any]:
        return self.model._default_manager.select_related("category").order_by("pk")

    def document(self, obj: Any) -> Document:
        keywords = " ".join(x for x in (obj.affected_system, obj.category.name if obj.category_id else "",
                                        obj.error_message, obj.number) if x)
        body = "\n".join(x for x in (obj.description, obj.symptom, obj.error_message, obj.operation_steps,
                                     obj.solution) if x)
        return Document(object_id=obj.pk, number=obj.number, title=obj.title, keywords=keywords, body=body,
                        status=obj.status, contract_id=obj.contract_id, organisation_id=obj.organisation_id,
                        owner_id=obj.requester_id)

    def visibility_sql(self, *, user: User, access: Access, alias: str) -> tuple[str, list[Any]]:
        parts = [f"{alias}.{q('owner_id')} = %s"]
        params: list[Any] = [user.pk]
        if access.contact_org_ids:
            ids = sorted(access.contact_org_ids)
            parts.append(f"{alias}.{q('organisation_id')} IN ({', '.join(['%s'] * len(ids))})")
            params.extend(ids)
        if access.staff_contract_ids:
            ids = sorted(access.staff_contract_ids)
            parts.append(f"{alias}.{q('contract_id')} IN ({', '.join(['%s'] * len(ids))})")
            params.extend(ids)
        return "(" + " OR ".join(parts) + ")", params

    def visibility_scope(self, *, user: User, access: Access) -> list[str] | None:
        if access.staff_contract_ids:
            return None  # whole contracts: a token holding half the index would slow the walk, not narrow it
        return [f"owner{user.pk}", *(f"org{o}" for o in sorted(access.contact_org_ids))]


def register_all() -> None:
    register(IncidentAdapter())
