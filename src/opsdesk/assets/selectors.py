"""Every read of the asset register and its procedures, scoped to the viewer.

The register (assets, monthly checks) is the contractor staff's of each contract; for anyone else an asset
does not exist (404). A procedure is seen by the contract's staff, by whoever asked for it, and by the client
people who approve that kind of procedure on its contract (workflow.CLIENT_VIEWERS): an approver opens what
they approve, and nothing else of the register.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import access_for, staff_contracts_q
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.models import Activity
from opsdesk.core.pagination import Page, keyset_page
from opsdesk.core.params import param_one

from .choices import AssetCategory, AssetStatus, RepairStatus, TakeOutStatus
from .models import AcquisitionRequest, Asset, AssetCheck, AssetCheckLine, Procedure, Repair, ScrapRequest, TakeOut
from .services import PREFIXES
from .workflow import CLIENT_VIEWERS

P = TypeVar("P", bound=Procedure)
Q_MAX = 200
TRUE = ("true", "1", "yes", "on")
FALSE = ("", "false", "0", "no", "off")


def asset_visibility_q(user: User, *, prefix: str = "") -> Q:
    return staff_contracts_q(user, f"{prefix}contract_id")


def is_register_staff(user: User, contract_id: int) -> bool:
    return contract_id in access_for(user).staff_contract_ids


def _assets() -> QuerySet[Asset]:
    return Asset.objects.select_related("contract", "department", "custodian")


def asset_get(*, pk: Any, visible_to: User) -> Asset:
    """One asset the viewer may read; NotFound for anything else (malformed ids included)."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        key = 0
    found = one_or_none(_assets().select_related("configuration_item").filter(asset_visibility_q(visible_to),
                                                                               pk=key)) if 0 < key < 2**63 else None
    if found is None:
        raise NotFound(_("There is no asset %(id)s.") % {"id": str(pk)[:20]}, code="asset_not_found")
    return found


def asset_by_tag(*, contract_id: int, tag: str) -> Asset | None:
    """An asset of a contract by its tag, for a request by anyone of the contract (a take-out applicant who
    does not see the register names the label on the device)."""
    return one_or_none(_assets().filter(contract_id=contract_id, asset_tag=str(tag or "").strip()[:64]))


@dataclass
class AssetFilters:
    """The filters of the asset list page, list API and export (the same names in all three)."""

    contract: str = ""
    category: str = ""
    status: str = ""
    department: int | None = None
    q: str = ""

    @classmethod
    def parse(cls, params: Any) -> AssetFilters:
        errors: dict[str, str] = {}
        category, status = param_one(params, "category"), param_one(params, "status")
        if category and category not in AssetCategory.values:
            errors["category"] = _("Unknown category “%(value)s”.") % {"value": category[:40]}
        if status and status not in AssetStatus.values:
            errors["status"] = _("Unknown status “%(value)s”.") % {"value": status[:40]}
        raw_department = param_one(params, "department")
        department = None
        if raw_department:
            if raw_department.isdigit() and 0 < int(raw_department) < 2**63:
                department = int(raw_department)
            else:
                errors["department"] = _("Unknown department.")
        q, contract = param_one(params, "q"), param_one(params, "contract")
        for name, value in (("q", q), ("contract", contract)):
            if "\x00" in value:
                errors[name] = _("Null characters are not allowed.")
        if len(q) > Q_MAX:
            errors["q"] = _("At most %(n)d characters.") % {"n": Q_MAX}
        if errors:
            raise ValidationError(fields=errors)
        return cls(contract=contract[:40], category=category, status=status, department=department, q=q)


def asset_queryset(*, visible_to: User, filters: AssetFilters) -> QuerySet[Asset]:
    qs = _assets().filter(asset_visibility_q(visible_to))
    if filters.contract:
        qs = qs.filter(contract__code=filters.contract)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.department is not None:
        qs = qs.filter(department_id=filters.department)
    if filters.q:
        qs = qs.filter(Q(asset_tag=filters.q) | Q(serial_number=filters.q) | Q(name__icontains=filters.q))
    return qs


def asset_list(*, visible_to: User, filters: AssetFilters, limit: int, cursor: str | None = None) -> Page:
    """A page of assets, newest first (one query for the rows, one for the bounded count)."""
    return keyset_page(asset_queryset(visible_to=visible_to, filters=filters), order=("-id",), limit=limit,
                       cursor=cursor)


def asset_history(*, asset: Asset) -> list[Activity]:
    return list(Activity.objects.filter(content_type=ContentType.objects.get_for_model(Asset), object_id=asset.pk)
                .select_related("actor").order_by("id"))


def asset_procedures(*, asset: Asset) -> list[Procedure]:
    """Every procedure of an asset (its acquisition, take-outs, repairs, scraps), newest first."""
    rows: list[Procedure] = [*AcquisitionRequest.objects.filter(asset=asset).select_related("requested_by"),
                             *TakeOut.objects.filter(asset=asset).select_related("requested_by"),
                             *Repair.objects.filter(asset=asset).select_related("requested_by"),
                             *ScrapRequest.objects.filter(asset=asset).select_related("requested_by")]
    return sorted(rows, key=lambda r: r.created_at, reverse=True)


# --- procedures --------------------------------------------------------------------------------------------------

def procedure_visibility_q(model: type[Procedure], user: User) -> Q:
    """Staff of the contract, whoever asked, and the client people approving this kind on the contract."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    access = access_for(user)
    viewers = CLIENT_VIEWERS[model]
    contracts = set(access.staff_contract_ids)
    contracts.update(cid for cid, roles in access.roles_by_contract.items() if roles & viewers)
    q = Q(requested_by_id=user.pk)
    if contracts:
        q |= Q(contract_id__in=sorted(contracts))
    return q


def _procedures(model: type[P]) -> QuerySet[P]:
    related = ("asset", "department") if model is AcquisitionRequest else ("asset",)
    return model._default_manager.select_related("contract", "requested_by", *related)


def procedure_get(model: type[P], *, number: str, visible_to: User) -> P:
    """One procedure record the viewer may read; NotFound for anything else (malformed numbers included)."""
    number = str(number or "").replace("\x00", "").strip().upper()[:40]
    pattern = re.compile(rf"^{PREFIXES[model]}-\d{{8}}-\d{{4,}}$")
    found = (one_or_none(_procedures(model).filter(procedure_visibility_q(model, visible_to), number=number))
             if pattern.match(number) else None)
    if found is None:
        raise NotFound(_("There is no %(kind)s %(number)s.") % {"kind": model._meta.verbose_name, "number": number},
                       code="not_found")
    return found


def procedure_timeline(*, record: Procedure) -> list[Activity]:
    return list(Activity.objects.filter(content_type=ContentType.objects.get_for_model(type(record)),
                                        object_id=record.pk).select_related("actor").order_by("id"))


@dataclass
class ProcedureFilters:
    """Filters of a procedure list (page and API): contract, status, overdue (take-outs and repairs), q."""

    contract: str = ""
    status: str = ""
    overdue: bool = False
    q: str = ""

    @classmethod
    def parse(cls, model: type[Procedure], params: Any) -> ProcedureFilters:
        errors: dict[str, str] = {}
        status = param_one(params, "status")
        states = model._meta.get_field("status").choices or []  # type: ignore[misc]
        if status and status not in {str(v) for v, _label in states}:
            errors["status"] = _("Unknown status “%(value)s”.") % {"value": status[:40]}
        overdue = param_one(params, "overdue").lower()
        if overdue not in TRUE + FALSE:
            errors["overdue"] = _("Enter true or false.")
        elif overdue in TRUE and model not in (TakeOut, Repair):
            errors["overdue"] = _("Only take-outs and repairs can be overdue.")
        q, contract = param_one(params, "q"), param_one(params, "contract")
        for name, value in (("q", q), ("contract", contract)):
            if "\x00" in value:
                errors[name] = _("Null characters are not allowed.")
        if len(q) > Q_MAX:
            errors["q"] = _("At most %(n)d characters.") % {"n": Q_MAX}
        if errors:
            raise ValidationError(fields=errors)
        return cls(contract=contract[:40], status=status, overdue=overdue in TRUE, q=q)


def procedure_list(model: type[P], *, visible_to: User, filters: ProcedureFilters, limit: int,
                   cursor: str | None = None) -> Page:
    """A page of a procedure's records, newest first."""
    qs = _procedures(model).filter(procedure_visibility_q(model, visible_to))
    if filters.contract:
        qs = qs.filter(contract__code=filters.contract)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.overdue:
        today = timezone.localdate()
        if model is TakeOut:
            qs = qs.filter(status=TakeOutStatus.TAKEN_OUT, expected_return__lt=today)
        else:
            qs = qs.filter(status=RepairStatus.SENT_OUT, due_back__lt=today)
    if filters.q:
        match = Q(number=filters.q.upper())
        if model is AcquisitionRequest:
            match |= Q(item_name__icontains=filters.q)
        else:
            match |= Q(asset__asset_tag=filters.q) | Q(asset__name__icontains=filters.q)
        qs = qs.filter(match)
    return keyset_page(qs, order=("-id",), limit=limit, cursor=cursor)


# --- monthly checks ---------------------------------------------------------------------------------------------

def check_list(*, visible_to: User, contract: str = "", limit: int = 50, cursor: str | None = None) -> Page:
    qs = AssetCheck.objects.select_related("contract", "created_by").filter(asset_visibility_q(visible_to))
    if contract:
        qs = qs.filter(contract__code=contract[:40])
    return keyset_page(qs, order=("-id",), limit=limit, cursor=cursor)


def check_get(*, pk: Any, visible_to: User) -> AssetCheck:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        key = 0
    found = one_or_none(AssetCheck.objects.select_related("contract", "created_by")
                        .filter(asset_visibility_q(visible_to), pk=key)) if 0 < key < 2**63 else None
    if found is None:
        raise NotFound(_("There is no asset check %(id)s.") % {"id": str(pk)[:20]}, code="check_not_found")
    return found


def check_lines(*, check: AssetCheck) -> list[AssetCheckLine]:
    return list(AssetCheckLine.objects.filter(check_list=check).select_related("asset", "asset__department",
                                                                                 "checked_by").order_by("id"))


def check_line_counts(check_ids: list[int]) -> dict[int, int]:
    """Lines per check (one query for a page of checks)."""
    rows = (AssetCheckLine.objects.filter(check_list_id__in=check_ids).values("check_list_id")
            .annotate(n=Count("id")).values_list("check_list_id", "n"))
    return dict(rows)


# --- "my approvals" (我的审批) ---------------------------------------------------------------------------------------

def _waiting() -> list[tuple[type[Procedure], str, frozenset[str]]]:
    """(procedure, state, the roles whose approval it waits for) of every approval step."""
    from .choices import AcquisitionStatus
    from .workflow import LEADER, REPAIR_APPROVERS, SCRAP_CHAIN, TAKE_OUT_CHAIN

    out: list[tuple[type[Procedure], str, frozenset[str]]] = [
        (AcquisitionRequest, AcquisitionStatus.REQUESTED, LEADER),
        (Repair, RepairStatus.AWAITING_APPROVAL, REPAIR_APPROVERS)]
    out += [(TakeOut, state, roles) for state, (roles, _target) in TAKE_OUT_CHAIN.items()]
    out += [(ScrapRequest, state, roles) for state, (roles, _target) in SCRAP_CHAIN.items()]
    return out


def pending_approvals(user: User) -> list[Any]:
    """The asset procedures waiting for `user`'s approval (one query per procedure kind)."""
    from opsdesk.core.approvals import PendingApproval

    from .workflow import WORKFLOWS

    if not getattr(user, "is_authenticated", False):
        return []
    access = access_for(user)
    by_model: dict[type[Procedure], Q] = {}
    for model, state, roles in _waiting():
        contracts = sorted(cid for cid, held in access.roles_by_contract.items() if held & roles)
        if contracts:
            by_model[model] = by_model.get(model, Q(pk__in=[])) | Q(status=state, contract_id__in=contracts)
    items = []
    for model, q in by_model.items():
        wf = WORKFLOWS[model]
        for record in _procedures(model).filter(q).order_by("updated_at", "id"):
            asset = getattr(record, "asset", None)
            title = asset.name if asset is not None else getattr(record, "item_name", "")
            items.append(PendingApproval(kind=record.kind_label, number=record.number, title=title,
                                         url=record.get_absolute_url(), step=str(wf.action("approve").label),
                                         since=record.updated_at, contract=record.contract.code))
    return items
