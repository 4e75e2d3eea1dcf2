"""The register's own writing blocks, shared by the services and the procedures' effects: checking an asset's
fields, creating one, and moving its status (a timeline entry on the asset; the caller writes the one audit
record of its write). Nothing here is a service by itself: each runs inside a caller's transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import Contract, Department, User
from opsdesk.accounts.selectors import access_for
from opsdesk.cmdb.choices import Importance
from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.errors import Conflict
from opsdesk.core.models import Activity, ActivityKind
from opsdesk.core.services import clean_text

from .choices import AssetCategory, AssetStatus
from .models import NAME_MAX, PRICE_DIGITS, TAG_MAX, Asset

# Who keeps the register: the store keeper (设备管理员), engineers, the project manager, the system administrator.
EDITORS = frozenset({Role.STORE_KEEPER, Role.ENGINEER, Role.SECOND_LINE, Role.PROJECT_MANAGER, Role.SYSTEM_ADMIN})
ASSET_FIELDS = ("asset_tag", "name", "category", "model", "serial_number", "department", "custodian", "importance",
                "location", "vendor", "purchase_date", "price", "warranty_end", "status", "configuration_item")
EDITABLE_FIELDS = tuple(f for f in ASSET_FIELDS if f != "asset_tag")
MAX_PRICE = Decimal(10) ** (PRICE_DIGITS - 2)


def parse_date(value: Any) -> dt.date:
    """A date from a date or a `YYYY-MM-DD` text; ValueError with a message otherwise."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError(_("Use a date like 2026-12-06.")) from None


def parse_money(value: Any) -> Decimal:
    """An amount of yuan, at most two decimals, not negative; ValueError with a message otherwise."""
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("¥", "").replace("￥", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(_("Enter an amount in yuan, e.g. 680 or 499.99.")) from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_PRICE:
        raise ValueError(_("Enter an amount in yuan, e.g. 680 or 499.99."))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("At most two decimals (fen)."))
    return amount.quantize(Decimal("0.01"))


def departments_of(contract: Contract) -> list[Department]:
    return list(Department.objects.filter(organisation_id=contract.organisation_id).order_by("name"))


def may_hold(user: User, contract: Contract) -> bool:
    """A custodian is someone holding a role on the contract, or a person of its client organisation."""
    return bool(user.is_active and (access_for(user).roles_on(contract.pk)
                                    or user.organisation_id == contract.organisation_id))


def clean_asset_fields(errors: dict[str, str], data: dict[str, Any], contract: Contract) -> dict[str, Any]:
    """The asset fields present in `data`, checked; problems go into `errors` by field name. `department`,
    `custodian` and `configuration_item` come as model instances (or None)."""
    out: dict[str, Any] = {}
    if "asset_tag" in data:
        out["asset_tag"] = clean_text(errors, "asset_tag", data["asset_tag"], required=True, max_length=TAG_MAX)
    if "name" in data:
        out["name"] = clean_text(errors, "name", data["name"], required=True, max_length=NAME_MAX)
    for name, limit in (("model", NAME_MAX), ("serial_number", 100), ("location", NAME_MAX), ("vendor", NAME_MAX)):
        if name in data:
            out[name] = clean_text(errors, name, data[name], max_length=limit)
    if "category" in data:
        if data["category"] not in AssetCategory.values:
            errors["category"] = _("Choose information, software or physical.")
        out["category"] = data["category"]
    if "status" in data:
        if data["status"] not in AssetStatus.values:
            errors["status"] = _("Unknown status “%(value)s”.") % {"value": str(data["status"])[:40]}
        out["status"] = data["status"]
    if "importance" in data:
        try:
            out["importance"] = int(data["importance"])
            if out["importance"] not in Importance.values:
                raise ValueError
        except (TypeError, ValueError):
            errors["importance"] = _("Importance is 1 (critical) to 4 (low).")
    for name in ("purchase_date", "warranty_end"):
        if name in data:
            out[name] = None
            if data[name] not in (None, ""):
                try:
                    out[name] = parse_date(data[name])
                except ValueError as exc:
                    errors[name] = str(exc)
    if "price" in data:
        out["price"] = None
        if data["price"] not in (None, ""):
            try:
                out["price"] = parse_money(data["price"])
            except ValueError as exc:
                errors["price"] = str(exc)
    if "department" in data:
        department = data["department"]
        if department is not None and (not isinstance(department, Department)
                                       or department.organisation_id != contract.organisation_id):
            errors["department"] = _("Choose a department of the contract's client organisation.")
        out["department"] = department
    if "custodian" in data:
        custodian = data["custodian"]
        if custodian is not None and not (isinstance(custodian, User) and may_hold(custodian, contract)):
            errors["custodian"] = _("The custodian must be someone of this contract or its client.")
        out["custodian"] = custodian
    if "configuration_item" in data:
        item = data["configuration_item"]
        if item is not None and (not isinstance(item, ConfigurationItem) or item.contract_id != contract.pk):
            errors["configuration_item"] = _("Choose a configuration item of this contract.")
        out["configuration_item"] = item
    purchase, warranty = out.get("purchase_date"), out.get("warranty_end")
    if purchase and warranty and warranty < purchase and "warranty_end" not in errors:
        errors["warranty_end"] = _("The warranty cannot end before the purchase date.")
    return out


def tag_taken(contract: Contract, tag: str, *, exclude: int | None = None) -> bool:
    qs = Asset.objects.filter(contract=contract, asset_tag=tag)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def asset_ct_id() -> int:
    return ContentType.objects.get_for_model(Asset).pk


def display(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, User):
        return value.username
    if hasattr(value, "_meta"):
        return str(value)
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


def snapshot(asset: Asset) -> dict[str, Any]:
    return {name: display(getattr(asset, name)) for name in ASSET_FIELDS}


def create_asset(*, by: User | None, contract: Contract, fields: dict[str, Any], source: str = "") -> Asset:
    """Insert an asset from checked fields, with its `created` timeline entry (no audit: the caller's)."""
    asset = Asset.objects.create(contract=contract, organisation_id=contract.organisation_id, **fields)
    Activity.objects.create(content_type_id=asset_ct_id(), object_id=asset.pk, kind=ActivityKind.CREATED,
                            actor=by, to_status=asset.status, data={"source": source} if source else {})
    return asset


def apply_changes(*, by: User | None, asset: Asset, changes: dict[str, Any], procedure: str = "") -> dict[str, Any]:
    """Write changed fields with the version check; one timeline entry listing each change before → after.
    Returns the diff {field: [before, after]} (empty when nothing changed)."""
    changed = {k: v for k, v in changes.items() if getattr(asset, k) != v}
    if not changed:
        return {}
    before = {k: display(getattr(asset, k)) for k in changed}
    moved = Asset.objects.filter(pk=asset.pk, version=asset.version).update(
        version=F("version") + 1, updated_at=timezone.now(), **changed)
    if moved != 1:
        raise Conflict(_("This asset was changed by someone else in the meantime. Reload it and try again."),
                       code="stale_version")
    for name, value in changed.items():
        setattr(asset, name, value)
    asset.version += 1
    diff = {k: [before[k], display(getattr(asset, k))] for k in changed}
    data: dict[str, Any] = {"changes": diff}
    if procedure:
        data["procedure"] = procedure
    Activity.objects.create(content_type_id=asset_ct_id(), object_id=asset.pk, kind=ActivityKind.SYSTEM,
                            action="updated", actor=by, data=data)
    return diff


def set_status(*, by: User | None, asset: Asset, status: str, procedure: str) -> dict[str, Any]:
    """Move an asset's status for a procedure (its number goes on the asset's timeline)."""
    asset.refresh_from_db()
    return apply_changes(by=by, asset=asset, changes={"status": status}, procedure=procedure)
