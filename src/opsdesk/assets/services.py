"""Every write to the asset register and its procedures: assets (create, update with `version`), opening an
acquisition, take-out, repair or scrap, taking their steps (workflow.py), and the monthly asset check. Each in
one transaction with one audit record; bad input is reported per field and writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Contract, Department, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import Activity, ActivityKind
from opsdesk.core.numbering import next_number
from opsdesk.core.services import clean_text
from opsdesk.core.workflow import perform

from . import registry
from .choices import (
    ACTIVE_ASSET_STATUSES,
    AssetCategory,
    AssetStatus,
    CheckResult,
    CheckStatus,
    RepairStatus,
    ScrapStatus,
    TakeOutStatus,
)
from .models import (
    NAME_MAX,
    TEXT_MAX,
    AcquisitionRequest,
    Asset,
    AssetCheck,
    AssetCheckLine,
    Procedure,
    Repair,
    ScrapRequest,
    TakeOut,
)
from .workflow import (
    ACQUISITION_REQUESTERS,
    TAKE_OUT_REQUESTERS,
    WORKFLOWS,
)

P = TypeVar("P", bound=Procedure)
PREFIXES: dict[type, str] = {AcquisitionRequest: "AR", TakeOut: "TO", Repair: "RP", ScrapRequest: "SC"}
OPEN_TAKE_OUT = (TakeOutStatus.REQUESTED, TakeOutStatus.DEVICE_APPROVED, TakeOutStatus.SECURITY_APPROVED,
                 TakeOutStatus.APPROVED, TakeOutStatus.TAKEN_OUT)
OPEN_REPAIR = tuple(s for s in RepairStatus if s not in (RepairStatus.COMPLETED, RepairStatus.REJECTED))
OPEN_SCRAP = (ScrapStatus.REQUESTED, ScrapStatus.PM_APPROVED)
NOTE_MAX = 500


def require_editor(by: User, contract_id: int) -> None:
    """The register's keepers of the contract; anyone else of it is refused, a stranger does not find it."""
    access = access_for(by)
    if contract_id not in access.staff_contract_ids:
        raise NotFound(_("Unknown contract."), code="contract_not_found")
    if not access.roles_on(contract_id) & registry.EDITORS:
        raise PermissionDenied(_("Only the contract's store keeper, engineers, project manager and system "
                                 "administrator keep the asset register."))


# --- assets ----------------------------------------------------------------------------------------------------

def asset_create(*, by: User, contract: Contract, asset_tag: str, name: str,
                 category: str = AssetCategory.PHYSICAL, status: str = AssetStatus.IN_USE,
                 **fields: Any) -> Asset:
    """Put an asset on the contract's register (the register's keepers). `fields`: model, serial_number,
    department, custodian, importance, location, vendor, purchase_date, price, warranty_end,
    configuration_item."""
    require_editor(by, contract.pk)
    unknown = set(fields) - set(registry.EDITABLE_FIELDS)
    errors: dict[str, str] = {name: _("Unknown field.") for name in sorted(unknown)}
    cleaned = registry.clean_asset_fields(errors, {"asset_tag": asset_tag, "name": name, "category": category,
                                                   "status": status, **fields}, contract)
    if "asset_tag" not in errors and registry.tag_taken(contract, cleaned["asset_tag"]):
        errors["asset_tag"] = _("The asset tag “%(tag)s” is taken on this contract.") % {"tag": cleaned["asset_tag"]}
    if errors:
        raise ValidationError(fields=errors)
    try:
        with transaction.atomic():
            asset = registry.create_asset(by=by, contract=contract, fields=cleaned)
            audit_record(actor=by, action="assets.asset_create", instance=asset,
                         after={"contract": contract.code, **registry.snapshot(asset)})
    except IntegrityError:
        raise ValidationError(fields={"asset_tag": _("The asset tag “%(tag)s” is taken on this contract.") % {
            "tag": cleaned["asset_tag"]}}) from None
    return asset


def asset_update(*, by: User, asset: Asset, data: dict[str, Any], version: int | None = None) -> Asset:
    """Change some of an asset's fields. A stale `version` is a Conflict; each change goes on the asset's
    timeline before → after. The status of an asset in a procedure (under repair, taken out, scrapped) is
    the procedure's: it is not changed here."""
    require_editor(by, asset.contract_id)
    unknown = set(data) - set(registry.EDITABLE_FIELDS)
    errors: dict[str, str] = {name: _("This field cannot be changed.") for name in sorted(unknown)}
    fields = registry.clean_asset_fields(errors, {k: v for k, v in data.items() if k not in unknown}, asset.contract)
    procedural = (AssetStatus.UNDER_REPAIR, AssetStatus.TAKEN_OUT, AssetStatus.SCRAPPED)
    if "status" in fields and "status" not in errors and fields["status"] != asset.status and (
            fields["status"] in procedural or asset.status in procedural):
        errors["status"] = _("Repairs, take-outs and scraps change this status through their procedures.")
    if errors:
        raise ValidationError(fields=errors)
    if version is not None and int(version) != asset.version:
        raise Conflict(_("This asset was changed by someone else (your version %(mine)s, now %(now)s). Reload it "
                         "and try again.") % {"mine": version, "now": asset.version}, code="stale_version")
    with transaction.atomic():
        diff = registry.apply_changes(by=by, asset=asset, changes=fields)
        if diff:
            audit_record(actor=by, action="assets.asset_update", instance=asset,
                         before={k: v[0] for k, v in diff.items()}, after={k: v[1] for k, v in diff.items()})
    return asset


# --- procedures ------------------------------------------------------------------------------------------------

def _may_ask(by: User, contract: Contract | None, roles: frozenset[str], errors: dict[str, str]) -> bool:
    if contract is None or not access_for(by).roles_on(contract.pk):
        errors["contract"] = _("Unknown contract.")
    elif not contract.is_active:
        errors["contract"] = _("This contract is not active.")
    elif not access_for(by).roles_on(contract.pk) & roles:
        errors["contract"] = _("Your role on this contract does not open this request.")
    else:
        return True
    return False


def _open(record: P, by: User, after: dict[str, Any]) -> P:
    record.number = next_number(PREFIXES[type(record)])
    record.save()
    Activity.objects.create(content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk,
                            kind=ActivityKind.CREATED, to_status=getattr(record, "status", ""), actor=by)
    audit_record(actor=by, action=f"{WORKFLOWS[type(record)].name}.create", instance=record,
                 after={"number": record.number, "contract": record.contract.code, **after})
    return record


def _asset_open(errors: dict[str, str], asset: Asset | None, *, statuses: tuple[str, ...],
                busy: Any = None) -> None:
    if asset is None:
        errors["asset"] = _("Choose an asset.")
    elif asset.status not in statuses:
        errors["asset"] = _("The asset is “%(status)s”.") % {"status": asset.get_status_display()}
    elif busy is not None and busy.filter(asset=asset).exists():
        errors["asset"] = _("The asset has an open request of this kind already.")


def acquisition_create(*, by: User, contract: Contract | None, item_name: str, reason: str,
                       category: str = AssetCategory.PHYSICAL, specification: str = "",
                       estimated_price: Any = None, department: Department | None = None) -> AcquisitionRequest:
    """申购: ask for an asset to be bought (the register's keepers, the client contact or application owner)."""
    errors: dict[str, str] = {}
    item_name = clean_text(errors, "item_name", item_name, required=True, max_length=NAME_MAX)
    reason = clean_text(errors, "reason", reason, required=True, max_length=TEXT_MAX)
    specification = clean_text(errors, "specification", specification, max_length=NAME_MAX)
    if category not in AssetCategory.values:
        errors["category"] = _("Choose information, software or physical.")
    price = None
    if estimated_price not in (None, ""):
        try:
            price = registry.parse_money(estimated_price)
        except ValueError as exc:
            errors["estimated_price"] = str(exc)
    if _may_ask(by, contract, ACQUISITION_REQUESTERS, errors):
        assert contract is not None
        if department is not None and department.organisation_id != contract.organisation_id:
            errors["department"] = _("Choose a department of the contract's client organisation.")
    if errors:
        raise ValidationError(fields=errors)
    assert contract is not None
    with transaction.atomic():
        return _open(AcquisitionRequest(
            contract=contract, requested_by=by, item_name=item_name, category=category, specification=specification,
            reason=reason, estimated_price=price, department=department), by,
            {"item_name": item_name, "estimated_price": str(price) if price is not None else None})


def take_out_create(*, by: User, asset: Asset | None, reason: str, destination: str,
                    expected_return: Any) -> TakeOut:
    """外带: ask to take an asset out (anyone of the contract). The asset changes only at the hand-over."""
    errors: dict[str, str] = {}
    reason = clean_text(errors, "reason", reason, required=True, max_length=TEXT_MAX)
    destination = clean_text(errors, "destination", destination, required=True, max_length=NAME_MAX)
    back: dt.date | None = None
    if expected_return in (None, ""):
        errors["expected_return"] = _("This field is required.")
    else:
        try:
            back = registry.parse_date(expected_return)
            if back < timezone.localdate():
                errors["expected_return"] = _("The return date cannot be in the past.")
        except ValueError as exc:
            errors["expected_return"] = str(exc)
    if asset is None:
        errors["asset"] = _("Choose an asset.")
    else:
        refused: dict[str, str] = {}
        if _may_ask(by, asset.contract, TAKE_OUT_REQUESTERS, refused):
            _asset_open(errors, asset, statuses=(AssetStatus.IN_STOCK, AssetStatus.IN_USE),
                        busy=TakeOut.objects.filter(status__in=OPEN_TAKE_OUT))
        else:
            errors["asset"] = refused["contract"]
    if errors:
        raise ValidationError(fields=errors)
    assert asset is not None and back is not None
    with transaction.atomic():
        return _open(TakeOut(contract=asset.contract, requested_by=by, asset=asset, reason=reason,
                             destination=destination, expected_return=back), by,
                     {"asset": asset.asset_tag, "expected_return": back.isoformat()})


def repair_create(*, by: User, asset: Asset | None, fault: str) -> Repair:
    """维修: report a fault of an asset (the register's keepers). Routed by its warranty: in warranty to the
    vendor, out of warranty the part is priced."""
    errors: dict[str, str] = {}
    fault = clean_text(errors, "fault", fault, required=True, max_length=TEXT_MAX)
    _asset_open(errors, asset, statuses=(AssetStatus.IN_STOCK, AssetStatus.IN_USE),
                busy=Repair.objects.filter(status__in=OPEN_REPAIR))
    if asset is not None:
        require_editor(by, asset.contract_id)
    if errors:
        raise ValidationError(fields=errors)
    assert asset is not None
    with transaction.atomic():
        return _open(Repair(contract=asset.contract, requested_by=by, asset=asset, fault=fault,
                            in_warranty=asset.in_warranty), by,
                     {"asset": asset.asset_tag, "in_warranty": asset.in_warranty})


def scrap_create(*, by: User, asset: Asset | None, reason: str) -> ScrapRequest:
    """报废: ask to scrap an asset, saying why it cannot be repaired (the register's keepers)."""
    errors: dict[str, str] = {}
    reason = clean_text(errors, "reason", reason, required=True, max_length=TEXT_MAX)
    _asset_open(errors, asset, statuses=(AssetStatus.IN_STOCK, AssetStatus.IN_USE, AssetStatus.UNDER_REPAIR),
                busy=ScrapRequest.objects.filter(status__in=OPEN_SCRAP))
    if asset is not None:
        require_editor(by, asset.contract_id)
    if errors:
        raise ValidationError(fields=errors)
    assert asset is not None
    with transaction.atomic():
        return _open(ScrapRequest(contract=asset.contract, requested_by=by, asset=asset, reason=reason), by,
                     {"asset": asset.asset_tag, "reason": reason})


def procedure_act(*, record: P, action: str, by: User | None, data: dict[str, Any] | None = None,
                  version: int | None = None) -> P:
    """Take a step of a procedure (its declaration in workflow.py). When an effect refuses the input after the
    record moved in memory, the record is read again: the caller never sees a state that was not written."""
    seen = record.version
    try:
        result: P = perform(WORKFLOWS[type(record)], record=record, action=action, by=by, data=data,
                            version=version)
    except DomainError:
        if record.version != seen:
            record.refresh_from_db()
        raise
    return result


# --- monthly check (月度资产检查) ---------------------------------------------------------------------------------

def first_of_month(value: Any) -> dt.date:
    """The month of a date or of a `YYYY-MM` / `YYYY-MM-DD` text, as its first day."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value or "").strip()
    try:
        return dt.date.fromisoformat(text[:7] + "-01") if len(text) >= 7 else dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("Use a month like 2026-12.")) from None


def check_create(*, by: User, contract: Contract, month: Any) -> AssetCheck:
    """The monthly check list of a contract: one line per asset on the register (not scrapped), made in one
    go. One per contract and month."""
    require_editor(by, contract.pk)
    try:
        first = first_of_month(month)
    except ValueError as exc:
        raise ValidationError(fields={"month": str(exc)}) from None
    if AssetCheck.objects.filter(contract=contract, month=first).exists():
        raise ValidationError(fields={"month": _("The check of %(month)s exists already.") % {
            "month": first.strftime("%Y-%m")}})
    try:
        with transaction.atomic():
            check = AssetCheck.objects.create(contract=contract, month=first, created_by=by)
            ids = list(Asset.objects.filter(contract=contract, status__in=ACTIVE_ASSET_STATUSES)
                       .order_by("asset_tag", "id").values_list("id", flat=True))
            AssetCheckLine.objects.bulk_create([AssetCheckLine(check_list=check, asset_id=i) for i in ids],
                                               batch_size=1000)
            audit_record(actor=by, action="assets.check_create", instance=check,
                         after={"contract": contract.code, "month": first.isoformat(), "lines": len(ids)})
    except IntegrityError:
        raise ValidationError(fields={"month": _("The check of %(month)s exists already.") % {
            "month": first.strftime("%Y-%m")}}) from None
    return check


def check_record(*, by: User, check: AssetCheck, results: dict[int, tuple[str, str]]) -> AssetCheck:
    """Record what was found for some lines ({line id: (result, note)}); a line left without a result keeps
    its earlier one. The check is completed when every line has a result."""
    require_editor(by, check.contract_id)
    if check.status == CheckStatus.COMPLETED:
        raise Conflict(_("This check is completed."), code="check_completed")
    lines = {line.pk: line for line in AssetCheckLine.objects.filter(check_list=check, pk__in=list(results))}
    errors: dict[str, str] = {}
    for line_id, (result, note) in results.items():
        key = f"line_{line_id}"
        if line_id not in lines:
            errors[key] = _("This line is not on the check.")
            continue
        if result and result not in CheckResult.values:
            errors[key] = _("Unknown result “%(value)s”.") % {"value": str(result)[:40]}
        clean_text(errors, f"note_{line_id}", note, max_length=NOTE_MAX)
        if result in (CheckResult.MISSING, CheckResult.DAMAGED, CheckResult.LOCATION_DIFFERS) and not \
                str(note or "").strip() and not lines[line_id].note:
            errors[f"note_{line_id}"] = _("Say what was found.")
    if errors:
        raise ValidationError(fields=errors)
    now = timezone.now()
    changed: list[AssetCheckLine] = []
    for line_id, (result, note) in results.items():
        line = lines[line_id]
        note = str(note or "").strip()
        if (result or line.result) == line.result and note == line.note:
            continue
        line.result = result or line.result
        line.note = note
        line.checked_by, line.checked_at = by, now
        changed.append(line)
    with transaction.atomic():
        AssetCheckLine.objects.bulk_update(changed, ["result", "note", "checked_by", "checked_at"], batch_size=500)
        done = not AssetCheckLine.objects.filter(check_list=check).filter(Q(result="")).exists()
        if done:
            moved = AssetCheck.objects.filter(pk=check.pk, status=CheckStatus.OPEN).update(
                status=CheckStatus.COMPLETED, completed_at=now, updated_at=now)
            if moved != 1:
                raise Conflict(_("This check is completed."), code="check_completed")
            check.status, check.completed_at = CheckStatus.COMPLETED, now
        audit_record(actor=by, action="assets.check_record", instance=check,
                     after={"lines": {str(line.pk): line.result for line in changed}, "completed": done})
    return check
