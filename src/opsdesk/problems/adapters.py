"""The search adapter of problems (kind "problem"), registered in ProblemsConfig.ready."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import Access
from opsdesk.core.sql import q
from opsdesk.search.registry import Document


class ProblemAdapter:
    """Problems: title; affected system, category and number as keywords; description, root cause, workaround
    and permanent solution as body. Only the contractor staff of the problem's contract find it (client
    people never see problems)."""

    kind = "problem"
    label = _("Problem")

    @property
    def model(self) -> type[models.Model]:
        from .models import Problem

        return Problem

    def queryset(self) -> models.QuerySet[Any]:
        return self.model._default_manager.select_related("category").order_by("pk")

    def document(self, obj: Any) -> Document:
        keywords = " ".join(x for x in (obj.affected_system, obj.category.name if obj.category_id else "",
                                        obj.number) if x)
        body = "\n".join(x for x in (obj.description, obj.root_cause, obj.workaround, obj.solution) if x)
        return Document(object_id=obj.pk, number=obj.number, title=obj.title, keywords=keywords, body=body,
                        status=obj.status, contract_id=obj.contract_id, organisation_id=obj.organisation_id,
                        owner_id=None, audience="staff")

    def visibility_sql(self, *, user: User, access: Access, alias: str) -> tuple[str, list[Any]]:
        if not access.staff_contract_ids:
            return "1=0", []
        ids = sorted(access.staff_contract_ids)
        return f"({alias}.{q('contract_id')} IN ({', '.join(['%s'] * len(ids))}))", ids

    def visibility_scope(self, *, user: User, access: Access) -> list[str] | None:
        return None if access.staff_contract_ids else []  # staff only: whole contracts
