"""Every read of service requests, scoped to the viewer.

Staff see the requests of the contracts they work; the application owner, division leader and application
division see their contract's; a client contact their organisation's; a requester their own. For everybody
else a request does not exist (404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from opsdesk.accounts.choices import CLIENT_ROLES
from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for, contract_list
from opsdesk.core.approvals import PendingApproval
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.models import Activity
from opsdesk.core.pagination import Page, keyset_page
from opsdesk.core.params import param_list, param_one

from .choices import OPEN_STATUSES, RequestKind, RequestStatus
from .models import ServiceRequest
from .workflow import (
    APPLY_STAFFING,
    APPROVE_STAFFING,
    CLOSE,
    CONTRACT_VIEWERS,
    CREATORS,
    KINDS,
    WORKFLOWS,
    path_of,
    workflow_for,
)

S = RequestStatus
NUMBER_RE = re.compile(r"^SRQ-\d{8}-\d{4,}$", re.IGNORECASE)
USERNAME_MAX = 150


def request_visibility_q(user: User) -> Q:
    """The filter limiting any request query to what `user` may read (see the module docstring)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    access = access_for(user)
    q = Q(requester_id=user.pk)
    if access.contact_org_ids:
        q |= Q(organisation_id__in=sorted(access.contact_org_ids))
    contracts = set(access.staff_contract_ids)
    contracts.update(cid for cid, roles in access.roles_by_contract.items() if roles & CONTRACT_VIEWERS)
    if contracts:
        q |= Q(contract_id__in=sorted(contracts))
    return q


def is_request_staff(user: User, sr: ServiceRequest) -> bool:
    return sr.contract_id in access_for(user).staff_contract_ids


def _base() -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.select_related("contract", "organisation", "requester", "handler", "created_by")


def request_get(*, number: str, visible_to: User) -> ServiceRequest:
    """One request the viewer may read; NotFound for anything else (malformed numbers included)."""
    number = str(number or "").replace("\x00", "").strip().upper()[:40]
    found = one_or_none(_base().select_related("incident", "problem", "knowledge_article")
                        .filter(request_visibility_q(visible_to), number=number)) if NUMBER_RE.match(number) else None
    if found is None:
        raise NotFound(_("There is no service request %(number)s.") % {"number": number},
                       code="service_request_not_found")
    return found


def request_timeline(*, sr: ServiceRequest, viewer: User) -> list[Activity]:
    """The request's timeline; internal notes only for the contract's staff."""
    qs = Activity.objects.filter(content_type=ContentType.objects.get_for_model(ServiceRequest), object_id=sr.pk)
    if not is_request_staff(viewer, sr):
        qs = qs.filter(internal=False)
    return list(qs.select_related("actor").order_by("id"))


@dataclass
class RequestFilters:
    """The filters of the list page and the list API (the same names in both)."""

    kind: list[str]
    status: list[str]
    contract: str = ""
    handler: str = ""
    mine: bool = False
    q: str = ""

    @classmethod
    def parse(cls, params: Any) -> RequestFilters:
        """From a QueryDict or dict; an unknown value is a ValidationError naming the field."""
        errors: dict[str, str] = {}
        kind, status = param_list(params, "kind"), param_list(params, "status")
        if bad := [k for k in kind if k not in RequestKind.values]:
            errors["kind"] = _("Unknown kind “%(value)s”.") % {"value": bad[0][:40]}
        if bad := [s for s in status if s not in RequestStatus.values and s != "open"]:
            errors["status"] = _("Unknown status “%(value)s”.") % {"value": bad[0][:40]}
        mine_raw = param_one(params, "mine").lower()
        if mine_raw not in ("", "true", "1", "yes", "on", "false", "0", "no", "off"):
            errors["mine"] = _("Enter true or false.")
        q, contract, handler = param_one(params, "q"), param_one(params, "contract"), param_one(params, "handler")
        for name, value in (("q", q), ("contract", contract), ("handler", handler)):
            if "\x00" in value:
                errors[name] = _("Null characters are not allowed.")
        if len(q) > 200:
            errors["q"] = _("At most %(n)d characters.") % {"n": 200}
        if len(handler) > USERNAME_MAX or len(contract) > 40:
            errors["handler" if len(handler) > USERNAME_MAX else "contract"] = _("Unknown value.")
        if errors:
            raise ValidationError(fields=errors)
        return cls(kind=kind, status=status, contract=contract, handler=handler,
                   mine=mine_raw in ("true", "1", "yes", "on"), q=q)


def request_list(*, visible_to: User, filters: RequestFilters, limit: int, cursor: str | None = None) -> Page:
    """A page of requests, newest first (one query for the rows, one for the bounded count)."""
    qs = _base().filter(request_visibility_q(visible_to))
    statuses = set(filters.status)
    if "open" in statuses:
        statuses.discard("open")
        statuses.update(OPEN_STATUSES)
    if statuses:
        qs = qs.filter(status__in=sorted(statuses))
    if filters.kind:
        qs = qs.filter(kind__in=sorted(set(filters.kind)))
    if filters.contract:
        qs = qs.filter(contract__code=filters.contract)
    if filters.handler == "me":
        qs = qs.filter(handler_id=visible_to.pk)
    elif filters.handler == "none":
        qs = qs.filter(handler__isnull=True)
    elif filters.handler:
        qs = qs.filter(handler__username=filters.handler)
    if filters.mine:
        me = visible_to.pk
        qs = qs.filter(Q(requester_id=me) | Q(handler_id=me) | Q(created_by_id=me))
    if filters.q:
        qs = qs.filter(Q(number=filters.q.upper()) | Q(title__icontains=filters.q))
    return keyset_page(qs, order=("-id",), limit=limit, cursor=cursor)


def creator_contracts(*, user: User) -> QuerySet[Contract]:
    """Contracts on which `user` may open service requests (pickers)."""
    return contract_list(visible_to=user, role_in=CREATORS)


def client_people(*, contract_id: int) -> QuerySet[User]:
    """The client people of a contract (requester, contact, application owner …): who a request can be for."""
    return (User.objects.filter(is_active=True, grants__contract_id=contract_id, grants__role__in=CLIENT_ROLES)
            .distinct().order_by("full_name", "username"))


def kinds_overview() -> list[dict[str, Any]]:
    """Each kind with its main path and its declared steps (actions, who takes them, from where, to where)."""
    out = []
    for kind, label in RequestKind.choices:
        wf = WORKFLOWS[kind]
        out.append({
            "kind": kind, "label": str(label),
            "path": [{"state": s, "label": wf.status_label(s)} for s in path_of(kind)],
            "steps": [{"name": a.name, "label": str(a.label), "roles": sorted(a.roles), "sources": list(a.sources),
                       "target": a.target if isinstance(a.target, str) or a.target is None else None,
                       "automatic": a.automatic, "fields": [f.name for f in a.fields]}
                      for a in wf.actions],
            "kind_steps": [a.name for a in KINDS[kind].steps if not a.automatic],
        })
    return out


# --- approvals (我的审批) ------------------------------------------------------------------------------------

APP_OWNER_WAITS = {S.STAFFING_NEEDED: APPLY_STAFFING, S.AWAITING_CLOSURE: CLOSE}
DIVISION_LEADER_WAITS = {S.STAFFING_REVIEW: APPROVE_STAFFING}


def pending_approvals(user: User) -> list[PendingApproval]:
    """The requests waiting for `user` as application owner (staffing application, plan review, closure) or
    as division leader (staffing review): one query, none when the user holds neither role."""
    from opsdesk.accounts.choices import Role

    access = access_for(user)
    owner = sorted(cid for cid, roles in access.roles_by_contract.items() if Role.APP_OWNER in roles)
    leader = sorted(cid for cid, roles in access.roles_by_contract.items() if Role.DIVISION_LEADER in roles)
    if not owner and not leader:
        return []
    q = Q(pk__in=[])
    if owner:
        q |= Q(contract_id__in=owner, status__in=[*APP_OWNER_WAITS, S.PLAN_REVIEW])
    if leader:
        q |= Q(contract_id__in=leader, status__in=list(DIVISION_LEADER_WAITS))
    rows = (ServiceRequest.objects.filter(q).select_related("contract")
            .only("number", "title", "status", "kind", "updated_at", "contract__code").order_by("updated_at", "id"))
    items = []
    for sr in rows:
        if sr.status == S.PLAN_REVIEW:
            step = workflow_for(sr).action("approve_plan").label
        elif sr.contract_id in owner and sr.status in APP_OWNER_WAITS:
            step = APP_OWNER_WAITS[sr.status].label  # type: ignore[index]
        else:
            step = DIVISION_LEADER_WAITS[sr.status].label  # type: ignore[index]
        items.append(PendingApproval(kind=str(_("Service request")), number=sr.number, title=sr.title,
                                     url=sr.get_absolute_url(), step=str(step), since=sr.updated_at,
                                     contract=sr.contract.code))
    return items
