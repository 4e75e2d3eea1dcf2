"""The asset procedures, each declared on the workflow engine (core.workflow):

    acquisition (申购)  requested → approve (client division leader) → approved → purchase (store keeper:
                        vendor, price, order date) → purchased → issue (store keeper: the asset is created,
                        for a department and custodian) → issued;  reject (division leader, with a reason).
    take-out (外带)     requested → approve by the device administrator (store keeper) → by the security
                        administrator → by leadership (division leader) → approved → hand_over (store keeper:
                        only now is the asset "taken out") → taken_out → return_asset → returned;  reject at
                        any approval step by that step's role.
    repair (维修)       reported → in warranty: forward_to_vendor → with_vendor;  out of warranty: price_part →
                        priced → (automatic) under 500 yuan: approved;  500 yuan or more: quoting (add_quote …,
                        submit_quotes needs two quotes of authorised shops) → awaiting_approval → approve
                        (application owner or client contact) → approved | reject → rejected;
                        approved → start_repair (on site) → in_repair | send_out (送修, due back in 7 days) →
                        sent_out;  complete (replaced part, one-year warranty card, no second-hand parts).
    scrap (报废)        requested → approve (project manager) → pm_approved → approve (client division leader)
                        → scrapped (the asset too);  reject at either step by that step's role.

An approval chain is one `approve` and one `reject` action whose roles are those of every step and whose
condition admits only the role of the step the record is at: each role can take only its step. A rejection
writes only the procedure's own state; the asset moves only when a procedure's last step is taken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import Department, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import ValidationError
from opsdesk.core.workflow import SYSTEM_ROLE, Action, ActionContext, Field, Workflow

from . import registry
from .choices import (
    AcquisitionStatus,
    AssetStatus,
    RepairStatus,
    ScrapStatus,
    TakeOutStatus,
)
from .models import (
    NAME_MAX,
    PART_WARRANTY_DAYS,
    SEND_OUT_DAYS,
    TAG_MAX,
    TEXT_MAX,
    AcquisitionRequest,
    Procedure,
    Repair,
    RepairQuote,
    ScrapRequest,
    TakeOut,
)

A, T, R, X = AcquisitionStatus, TakeOutStatus, RepairStatus, ScrapStatus
EDITORS = registry.EDITORS
STORE = frozenset({Role.STORE_KEEPER})
PM = frozenset({Role.PROJECT_MANAGER})
LEADER = frozenset({Role.DIVISION_LEADER})
SECURITY = frozenset({Role.SECURITY_ADMIN})
REPAIR_APPROVERS = frozenset({Role.APP_OWNER, Role.CLIENT_CONTACT})
# Who asks: an acquisition the register's keepers, the client contact or application owner;
# a take-out anyone of the contract (repairs and scraps: the register's keepers, services.require_editor).
CLIENT_ASKERS = frozenset({Role.REQUESTER, Role.CLIENT_CONTACT, Role.APP_OWNER, Role.DIVISION_LEADER,
                           Role.APP_DIVISION})
ACQUISITION_REQUESTERS = EDITORS | frozenset({Role.CLIENT_CONTACT, Role.APP_OWNER})
TAKE_OUT_REQUESTERS = EDITORS | CLIENT_ASKERS | SECURITY | frozenset({Role.AGENT, Role.VENDOR})
ACTING_ROLES = EDITORS | STORE | PM | LEADER | SECURITY | REPAIR_APPROVERS


def procedure_roles(user: User | None, record: Procedure) -> frozenset[str]:
    """The roles `user` holds on the record's contract that carry a step."""
    if user is None:
        return frozenset({SYSTEM_ROLE})
    return frozenset(access_for(user).roles_on(record.contract_id) & ACTING_ROLES)


def _step(chain: dict[str, tuple[frozenset[str], str]]) -> Callable[[Any, Any], bool]:
    """The condition of an approval chain's actions: the actor holds the role of the step the record is at."""
    def condition(record: Any, actor: Any) -> bool:
        step = chain.get(record.status)
        return step is not None and bool(procedure_roles(actor, record) & step[0])
    return condition


def _chain_roles(chain: dict[str, tuple[frozenset[str], str]]) -> frozenset[str]:
    out: set[str] = set()
    for roles, _target in chain.values():
        out |= roles
    return frozenset(out)


# --- field cleaners ------------------------------------------------------------------------------------------

def _date(value: Any, field: Field, record: Any) -> dt.date:
    return registry.parse_date(value)  # the engine's timeline writes dates as ISO text


def _money(value: Any, field: Field, record: Any) -> str:
    return str(registry.parse_money(value))  # text: the timeline stores it as JSON


def _bool(value: Any, field: Field, record: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(gettext("Enter true or false."))


def _confirmed(value: Any, field: Field, record: Any) -> bool:
    if not _bool(value, field, record):
        raise ValueError(gettext("Confirm that no second-hand parts were used."))
    return True


def _department_choices(record: Any) -> list[tuple[str, str]]:
    return [(str(d.pk), d.name) for d in registry.departments_of(record.contract)]


def _department(value: Any, field: Field, record: Any) -> Department:
    found = Department.objects.filter(organisation_id=record.contract.organisation_id,
                                      pk=int(value) if str(value).isdigit() else 0).first()
    if found is None:
        raise ValueError(gettext("Choose a department of the contract's client organisation."))
    return found


def custodian_queryset(contract_id: int, organisation_id: int) -> Any:
    return (User.objects.filter(Q(grants__contract_id=contract_id) | Q(organisation_id=organisation_id),
                                is_active=True).distinct().order_by("full_name", "username"))


def _custodian_choices(record: Any) -> list[tuple[str, str]]:
    return [(u.username, u.display_name)
            for u in custodian_queryset(record.contract_id, record.contract.organisation_id)[:500]]


def _custodian(value: Any, field: Field, record: Any) -> User:
    found = one_or_none(custodian_queryset(record.contract_id, record.contract.organisation_id)
                        .filter(username=str(value)[:150]))
    if found is None:
        raise ValueError(gettext("“%(value)s” is not someone of this contract or its client.") % {
            "value": str(value)[:40]})
    user: User = found
    return user


def _text(name: str, label: Any, model_field: str | None = None, *, required: bool = True,
          max_length: int = TEXT_MAX, kind: str = "textarea") -> Field:
    return Field(name, label, kind=kind, required=required, max_length=max_length, model_field=model_field)


def _reason() -> Field:
    return _text("reason", _("Reason"), "reject_reason", max_length=TEXT_MAX)


# --- shared effects --------------------------------------------------------------------------------------------

def _save(record: Any, **values: Any) -> None:
    for name, value in values.items():
        setattr(record, name, value)
    type(record)._default_manager.filter(pk=record.pk).update(**values)


def _move_asset(ctx: ActionContext, status: str) -> None:
    """The asset's status for this procedure; the change goes into the action's one audit record."""
    diff = registry.set_status(by=ctx.actor, asset=ctx.record.asset, status=status, procedure=ctx.record.number)
    if diff:
        ctx.audit_extra["asset"] = {"asset_tag": ctx.record.asset.asset_tag, **diff}


def _require_asset_status(ctx: ActionContext, allowed: tuple[str, ...], field: str = "asset") -> None:
    asset = ctx.record.asset
    asset.refresh_from_db()
    if asset.status not in allowed:
        raise ValidationError(fields={field: gettext("The asset is “%(status)s” now.") % {
            "status": asset.get_status_display()}})


# --- acquisition (申购) -----------------------------------------------------------------------------------------

def _issue(ctx: ActionContext) -> None:
    """The store keeper issues the purchased item: the asset is created on the register."""
    acq: AcquisitionRequest = ctx.record
    data = ctx.data
    errors: dict[str, str] = {}
    fields = registry.clean_asset_fields(errors, {
        "asset_tag": data["asset_tag"], "name": acq.item_name, "category": acq.category,
        "model": acq.specification, "serial_number": data.get("serial_number") or "",
        "department": data.get("department") or acq.department, "custodian": data.get("custodian"),
        "location": data.get("location") or "", "vendor": acq.vendor, "purchase_date": acq.order_date,
        "price": acq.price, "warranty_end": data.get("warranty_end"),
        "status": AssetStatus.IN_USE if data.get("custodian") or data.get("department") else AssetStatus.IN_STOCK,
    }, acq.contract)
    if "asset_tag" not in errors and registry.tag_taken(acq.contract, fields["asset_tag"]):
        errors["asset_tag"] = gettext("The asset tag “%(tag)s” is taken on this contract.") % {
            "tag": fields["asset_tag"]}
    if errors:
        raise ValidationError(fields=errors)
    asset = registry.create_asset(by=ctx.actor, contract=acq.contract, fields=fields, source=acq.number)
    _save(acq, asset=asset)
    ctx.audit_extra["asset"] = registry.snapshot(asset)
    ctx.timeline_extra["asset"] = asset.asset_tag


ACQUISITION = Workflow(
    name="assets.acquisition", model=AcquisitionRequest, states=AcquisitionStatus, initial=A.REQUESTED,
    roles_of=procedure_roles, terminal=(A.ISSUED, A.REJECTED),
    audit_fields=("status", "vendor", "price", "order_date", "reject_reason"),
    actions=(
        Action("approve", _("Approve"), sources=(A.REQUESTED,), target=A.APPROVED, roles=LEADER, style="success",
               description=_("The client's division leader approves the purchase.")),
        Action("reject", _("Reject"), sources=(A.REQUESTED,), target=A.REJECTED, roles=LEADER, style="danger",
               fields=(_reason(),)),
        Action("purchase", _("Record the purchase"), sources=(A.APPROVED,), target=A.PURCHASED, roles=STORE,
               style="primary",
               fields=(_text("vendor", _("Supplier"), "vendor", max_length=NAME_MAX, kind="text"),
                       Field("price", _("Price (yuan)"), kind="text", max_length=20, model_field="price",
                             clean=_money),
                       Field("order_date", _("Order date"), kind="text", max_length=10, model_field="order_date",
                             clean=_date, help_text=_("YYYY-MM-DD")))),
        Action("issue", _("Issue the asset"), sources=(A.PURCHASED,), target=A.ISSUED, roles=STORE,
               style="success", effects=(_issue,),
               description=_("The asset is put on the register and issued to a department and custodian."),
               fields=(_text("asset_tag", _("Asset tag"), max_length=TAG_MAX, kind="text"),
                       _text("serial_number", _("Serial number"), required=False, max_length=100, kind="text"),
                       Field("department", _("Owner department"), kind="choice", required=False,
                             choices=_department_choices, clean=_department),
                       Field("custodian", _("Custodian"), kind="user", required=False, choices=_custodian_choices,
                             clean=_custodian),
                       _text("location", _("Location"), required=False, max_length=NAME_MAX, kind="text"),
                       Field("warranty_end", _("Warranty ends"), kind="text", required=False, max_length=10,
                             clean=_date))),
    ))


# --- take-out (外带) ---------------------------------------------------------------------------------------------

TAKE_OUT_CHAIN: dict[str, tuple[frozenset[str], str]] = {
    T.REQUESTED: (STORE, T.DEVICE_APPROVED),            # 设备管理员
    T.DEVICE_APPROVED: (SECURITY, T.SECURITY_APPROVED),  # 安全管理员
    T.SECURITY_APPROVED: (LEADER, T.APPROVED),           # 领导
}
TAKE_OUT_OUT = (AssetStatus.IN_STOCK, AssetStatus.IN_USE)


def _hand_over(ctx: ActionContext) -> None:
    _require_asset_status(ctx, TAKE_OUT_OUT)
    _save(ctx.record, asset_status_before=ctx.record.asset.status, taken_out_at=timezone.now())
    _move_asset(ctx, AssetStatus.TAKEN_OUT)


def _returned(ctx: ActionContext) -> None:
    _save(ctx.record, returned_at=timezone.now())
    _move_asset(ctx, ctx.record.asset_status_before or AssetStatus.IN_USE)


TAKE_OUT = Workflow(
    name="assets.take_out", model=TakeOut, states=TakeOutStatus, initial=T.REQUESTED, roles_of=procedure_roles,
    terminal=(T.RETURNED, T.REJECTED), audit_fields=("status", "reject_reason"),
    actions=(
        Action("approve", _("Approve"), sources=tuple(TAKE_OUT_CHAIN), roles=_chain_roles(TAKE_OUT_CHAIN),
               target=lambda r: TAKE_OUT_CHAIN[r.status][1], condition=_step(TAKE_OUT_CHAIN), style="success",
               description=_("Device administrator, then security administrator, then leadership.")),
        Action("reject", _("Reject"), sources=tuple(TAKE_OUT_CHAIN), roles=_chain_roles(TAKE_OUT_CHAIN),
               target=T.REJECTED, condition=_step(TAKE_OUT_CHAIN), style="danger", fields=(_reason(),)),
        Action("hand_over", _("Hand over"), sources=(T.APPROVED,), target=T.TAKEN_OUT, roles=STORE,
               style="primary", effects=(_hand_over,),
               description=_("The device leaves: the asset is marked as taken out.")),
        Action("return_asset", _("Record the return"), sources=(T.TAKEN_OUT,), target=T.RETURNED, roles=STORE,
               style="success", effects=(_returned,)),
    ))


# --- repair (维修) ------------------------------------------------------------------------------------------------

def _repair_starts(ctx: ActionContext) -> None:
    repair: Repair = ctx.record
    _require_asset_status(ctx, (AssetStatus.IN_STOCK, AssetStatus.IN_USE, AssetStatus.UNDER_REPAIR))
    if repair.asset.status != AssetStatus.UNDER_REPAIR:
        _save(repair, asset_status_before=repair.asset.status)
    _move_asset(ctx, AssetStatus.UNDER_REPAIR)


def _sent_out(ctx: ActionContext) -> None:
    today = timezone.localdate()
    _save(ctx.record, sent_out_on=today, due_back=today + dt.timedelta(days=SEND_OUT_DAYS))
    _repair_starts(ctx)


def _quote(ctx: ActionContext) -> None:
    quote = RepairQuote.objects.create(repair=ctx.record, shop=ctx.data["shop"], amount=ctx.data["amount"],
                                       authorised=bool(ctx.data.get("authorised")))
    ctx.audit_extra["quote"] = {"shop": quote.shop, "amount": str(quote.amount), "authorised": quote.authorised}


def authorised_quotes(repair: Repair) -> int:
    return RepairQuote.objects.filter(repair=repair, authorised=True).values("shop").distinct().count()


def _quotes_complete(ctx: ActionContext) -> None:
    if authorised_quotes(ctx.record) < 2:
        raise ValidationError(fields={"quotes": gettext(
            "A part of 500 yuan or more needs quotes from at least two authorised shops.")})


def one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day + dt.timedelta(days=PART_WARRANTY_DAYS)


def _completed(ctx: ActionContext) -> None:
    repair: Repair = ctx.record
    today = timezone.localdate()
    _save(repair, completed_on=today, no_second_hand=True,
          part_warranty_end=one_year_after(today) if repair.replaced_part else None)
    _move_asset(ctx, repair.asset_status_before or AssetStatus.IN_USE)


REPAIR = Workflow(
    name="assets.repair", model=Repair, states=RepairStatus, initial=R.REPORTED, roles_of=procedure_roles,
    terminal=(R.COMPLETED, R.REJECTED),
    audit_fields=("status", "part", "part_price", "shop", "due_back", "replaced_part", "part_warranty_end",
                  "no_second_hand", "reject_reason"),
    actions=(
        Action("forward_to_vendor", _("Forward to the vendor"), sources=(R.REPORTED,), target=R.WITH_VENDOR,
               roles=EDITORS, condition=lambda r, actor: r.in_warranty, style="primary", effects=(_repair_starts,),
               description=_("In warranty: the vendor repairs it."),
               fields=(_text("vendor_reference", _("Vendor service reference"), "vendor_reference",
                             required=False, max_length=NAME_MAX, kind="text"),)),
        Action("price_part", _("Price the part"), sources=(R.REPORTED,), target=R.PRICED, roles=EDITORS,
               condition=lambda r, actor: not r.in_warranty, style="primary",
               description=_("Out of warranty: a part of 500 yuan or more needs two quotes and client approval."),
               fields=(_text("part", _("Part"), "part", max_length=NAME_MAX, kind="text"),
                       Field("part_price", _("Part price (yuan)"), kind="text", max_length=20,
                             model_field="part_price", clean=_money))),
        Action("needs_quotes", _("Quotes needed"), sources=(R.PRICED,), target=R.QUOTING,
               roles=frozenset({SYSTEM_ROLE}), automatic=True, condition=lambda r, actor: r.needs_approval),
        Action("below_threshold", _("No approval needed"), sources=(R.PRICED,), target=R.APPROVED,
               roles=frozenset({SYSTEM_ROLE}), automatic=True, condition=lambda r, actor: not r.needs_approval),
        Action("add_quote", _("Add a quote"), sources=(R.QUOTING,), roles=EDITORS, effects=(_quote,),
               fields=(_text("shop", _("Shop"), max_length=NAME_MAX, kind="text"),
                       Field("amount", _("Amount (yuan)"), kind="text", max_length=20, clean=_money),
                       Field("authorised", _("Authorised shop"), kind="bool", required=False, clean=_bool))),
        Action("submit_quotes", _("Ask the client to approve"), sources=(R.QUOTING,), target=R.AWAITING_APPROVAL,
               roles=EDITORS, effects=(_quotes_complete,), style="primary",
               description=_("Needs quotes from at least two authorised shops.")),
        Action("approve", _("Approve"), sources=(R.AWAITING_APPROVAL,), target=R.APPROVED, roles=REPAIR_APPROVERS,
               style="success", description=_("The client approves the part and its price.")),
        Action("reject", _("Reject"), sources=(R.AWAITING_APPROVAL,), target=R.REJECTED, roles=REPAIR_APPROVERS,
               style="danger", fields=(_reason(),)),
        Action("start_repair", _("Repair on site"), sources=(R.APPROVED,), target=R.IN_REPAIR, roles=EDITORS,
               style="primary", effects=(_repair_starts,)),
        Action("send_out", _("Send out for repair"), sources=(R.APPROVED,), target=R.SENT_OUT, roles=EDITORS,
               effects=(_sent_out,), description=_("送修: due back within 7 days."),
               fields=(_text("shop", _("Repair shop"), "shop", max_length=NAME_MAX, kind="text"),)),
        Action("complete", _("Complete"), sources=(R.WITH_VENDOR, R.IN_REPAIR, R.SENT_OUT), target=R.COMPLETED,
               roles=EDITORS, style="success", effects=(_completed,),
               description=_("A replaced part carries a one-year warranty card."),
               fields=(_text("work_done", _("Work done"), "work_done"),
                       _text("replaced_part", _("Replaced part"), "replaced_part", required=False,
                             max_length=NAME_MAX, kind="text"),
                       Field("no_second_hand", _("No second-hand parts were used"), kind="bool",
                             model_field="no_second_hand", clean=_confirmed))),
    ))


# --- scrap (报废) -------------------------------------------------------------------------------------------------

SCRAP_CHAIN: dict[str, tuple[frozenset[str], str]] = {
    X.REQUESTED: (PM, X.PM_APPROVED),
    X.PM_APPROVED: (LEADER, X.SCRAPPED),
}


def _scrap_step(ctx: ActionContext) -> None:
    if ctx.to_status == X.SCRAPPED:
        _require_asset_status(ctx, (AssetStatus.IN_STOCK, AssetStatus.IN_USE, AssetStatus.UNDER_REPAIR))
        _save(ctx.record, scrapped_at=timezone.now())
        _move_asset(ctx, AssetStatus.SCRAPPED)


SCRAP = Workflow(
    name="assets.scrap", model=ScrapRequest, states=ScrapStatus, initial=X.REQUESTED, roles_of=procedure_roles,
    terminal=(X.SCRAPPED, X.REJECTED), audit_fields=("status", "reject_reason"),
    actions=(
        Action("approve", _("Approve"), sources=tuple(SCRAP_CHAIN), roles=_chain_roles(SCRAP_CHAIN),
               target=lambda r: SCRAP_CHAIN[r.status][1], condition=_step(SCRAP_CHAIN), style="success",
               effects=(_scrap_step,), description=_("The project manager, then the client's division leader.")),
        Action("reject", _("Reject"), sources=tuple(SCRAP_CHAIN), roles=_chain_roles(SCRAP_CHAIN),
               target=X.REJECTED, condition=_step(SCRAP_CHAIN), style="danger", fields=(_reason(),)),
    ))

WORKFLOWS: dict[type, Workflow] = {AcquisitionRequest: ACQUISITION, TakeOut: TAKE_OUT, Repair: REPAIR,
                                   ScrapRequest: SCRAP}
# Client-side roles that see a procedure's records of their contract (to approve them).
CLIENT_VIEWERS: dict[type, frozenset[str]] = {AcquisitionRequest: LEADER, TakeOut: LEADER,
                                              Repair: REPAIR_APPROVERS, ScrapRequest: LEADER}
