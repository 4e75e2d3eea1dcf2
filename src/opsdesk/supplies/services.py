"""Every write to the spare-parts store: locations, parts, and stock movements (receive, issue, transfer, write
off, adjust after a count). Each in one transaction with one audit record; bad input is reported per field and
writes nothing.

Stock only ever changes through conditional UPDATEs in the database (`quantity = quantity - n WHERE quantity >=
n`, then the row count is checked), never by reading a quantity into Python and writing it back: two people
issuing the last unit at the same moment get exactly one success, on SQLite (which has no SELECT … FOR UPDATE)
and on PostgreSQL (where the second UPDATE waits for the first and re-checks its condition).

Who may do what (per contract): the store keeper, the project manager and the system administrator manage parts
and locations and make every movement; engineers (on-site, second line, vendor) see the store and may issue a
part for an incident of the contract — an issue that names its ticket."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.services import clean_text
from opsdesk.incidents.models import Incident

from .choices import LocationKind, MovementKind
from .models import CODE_MAX, NAME_MAX, SparePart, Stock, StockLocation, StockMovement

STORE_ROLES = frozenset({Role.STORE_KEEPER, Role.PROJECT_MANAGER, Role.SYSTEM_ADMIN})
ENGINEER_ROLES = frozenset({Role.ENGINEER, Role.SECOND_LINE, Role.VENDOR})
MAX_QUANTITY = 1_000_000
MAX_PRICE = Decimal("9999999999.99")
REASON_MAX = 500
TICKET_RE = re.compile(r"^INC-[0-9A-Za-z-]{1,28}$")


# --- who may ---------------------------------------------------------------------------------------------------

def roles_on(by: User, contract_id: int) -> frozenset[str]:
    """The user's roles on a contract; NotFound when they are not its staff (what they may not see is absent)."""
    access = access_for(by)
    if contract_id not in access.staff_contract_ids:
        raise NotFound(_("Unknown contract."))
    return access.roles_on(contract_id)


def require_store(by: User, contract_id: int) -> None:
    """The store keeper, project manager or system administrator of the contract."""
    if not roles_on(by, contract_id) & STORE_ROLES:
        raise PermissionDenied(_("Only the contract's store keeper, project manager and system administrator "
                                 "manage the store."))


def may_manage_store(user: User, contract_id: int) -> bool:
    return bool(access_for(user).roles_on(contract_id) & STORE_ROLES)


def may_issue_for_ticket(user: User, contract_id: int) -> bool:
    return bool(access_for(user).roles_on(contract_id) & (STORE_ROLES | ENGINEER_ROLES))


# --- input checks shared with the import -------------------------------------------------------------------------

def clean_quantity(errors: dict[str, str], name: str, value: Any, *, allow_zero: bool = False) -> int:
    """A whole number of units, 1 (or 0) to a million; a problem goes into `errors[name]`."""
    text = str(value).strip() if value is not None else ""
    if isinstance(value, bool) or not re.fullmatch(r"-?\d{1,9}", text):
        errors[name] = _("A whole number is expected.")
        return 0
    number = int(text)
    if number < 0 or (number == 0 and not allow_zero):
        errors[name] = _("At least 1.") if not allow_zero else _("Not below 0.")
    elif number > MAX_QUANTITY:
        errors[name] = _("At most %(n)d.") % {"n": MAX_QUANTITY}
    return number


def clean_price(errors: dict[str, str], name: str, value: Any) -> Decimal:
    """Money in yuan with at most two decimals, not negative."""
    text = str(value).strip() if value is not None else ""
    if text == "":
        return Decimal("0.00")
    try:
        number = Decimal(text)
    except InvalidOperation:
        errors[name] = _("A number is expected.")
        return Decimal("0.00")
    if not number.is_finite() or number < 0 or number > MAX_PRICE:
        errors[name] = _("An amount from 0 to %(max)s is expected.") % {"max": MAX_PRICE}
        return Decimal("0.00")
    if number != number.quantize(Decimal("0.01")):
        errors[name] = _("At most two decimals.")
    return number.quantize(Decimal("0.01"))


def clean_labels(errors: dict[str, str], name: str, value: Any) -> str:
    """Labels from a list or a text separated by commas (, or ，), each at most 30 characters, at most 20;
    stored joined by commas."""
    items = value if isinstance(value, list) else re.split(r"[,，;；]", str(value or ""))
    labels: list[str] = []
    for item in items:
        text = str(item).strip()
        if "\x00" in text or len(text) > 30 or "," in text:
            errors[name] = _("Each label at most 30 characters.")
        elif text and text not in labels:
            labels.append(text)
    if len(labels) > 20:
        errors[name] = _("At most 20 labels.")
    return ",".join(labels)


def clean_code(errors: dict[str, str], name: str, value: Any) -> str:
    code = clean_text(errors, name, value, required=True, max_length=CODE_MAX)
    if code and not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z._/-]*", code):
        errors[name] = _("Letters, digits and . _ / - only.")
    return code


def clean_part_fields(errors: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    """The descriptive fields of a part (no contract, no stock), checked."""
    out: dict[str, Any] = {
        "name": clean_text(errors, "name", data.get("name"), required=True, max_length=NAME_MAX),
        "model": clean_text(errors, "model", data.get("model"), max_length=NAME_MAX),
        "brand": clean_text(errors, "brand", data.get("brand"), max_length=100),
        "labels": clean_labels(errors, "labels", data.get("labels")),
        "unit": clean_text(errors, "unit", data.get("unit") or "个", max_length=20),
        "unit_price": clean_price(errors, "unit_price", data.get("unit_price")),
        "supplier": clean_text(errors, "supplier", data.get("supplier"), max_length=NAME_MAX),
    }
    for name in ("min_stock", "agreed_stock"):
        raw = data.get(name)
        out[name] = clean_quantity(errors, name, 0 if raw in (None, "") else raw, allow_zero=True)
    if "min_stock" not in errors and "agreed_stock" not in errors and out["agreed_stock"] < out["min_stock"]:
        errors["agreed_stock"] = _("The agreed stock level cannot be below the minimum stock.")
    return out


# --- locations and parts ---------------------------------------------------------------------------------------

def location_create(*, by: User, contract: Contract, code: str, name: str,
                    kind: str = LocationKind.STORE_ROOM) -> StockLocation:
    """A store room or site of the contract."""
    require_store(by, contract.pk)
    errors: dict[str, str] = {}
    code = clean_code(errors, "code", code)
    name = clean_text(errors, "name", name, required=True, max_length=NAME_MAX)
    if kind not in LocationKind.values:
        errors["kind"] = _("Unknown kind “%(value)s”.") % {"value": str(kind)[:40]}
    if code and StockLocation.objects.filter(contract=contract, code=code).exists():
        errors["code"] = _("The code “%(code)s” is taken on this contract.") % {"code": code}
    if errors:
        raise ValidationError(fields=errors)
    with transaction.atomic():
        location = StockLocation.objects.create(contract=contract, code=code, name=name, kind=kind)
        audit_record(actor=by, action="supplies.location_create", instance=location,
                     after={"contract": contract.code, "code": code, "name": name, "kind": kind})
    return location


def part_create(*, by: User, contract: Contract, code: str, name: str, model: str = "", brand: str = "",
                labels: list[str] | str | None = None, unit: str = "个", unit_price: Any = "0",
                min_stock: Any = 0, agreed_stock: Any = 0, supplier: str = "") -> SparePart:
    """A new spare part of the contract (its stock starts at nothing; receive it)."""
    require_store(by, contract.pk)
    errors: dict[str, str] = {}
    code = clean_code(errors, "code", code)
    fields = clean_part_fields(errors, {"name": name, "model": model, "brand": brand, "labels": labels or [],
                                        "unit": unit, "unit_price": unit_price, "min_stock": min_stock,
                                        "agreed_stock": agreed_stock, "supplier": supplier})
    if code and SparePart.objects.filter(contract=contract, code=code).exists():
        errors["code"] = _("The code “%(code)s” is taken on this contract.") % {"code": code}
    if errors:
        raise ValidationError(fields=errors)
    try:
        with transaction.atomic():
            part = SparePart.objects.create(contract=contract, code=code, **fields)
            audit_record(actor=by, action="supplies.part_create", instance=part,
                         after={"contract": contract.code, "code": code, **fields})
    except IntegrityError:
        raise ValidationError(fields={"code": _("The code “%(code)s” is taken on this contract.") % {
            "code": code}}) from None
    return part


def part_update(*, by: User, part: SparePart, data: dict[str, Any], version: int | None = None) -> SparePart:
    """Change a part's descriptive fields (name, model, brand, labels, unit, unit price, minimum and agreed stock
    levels, supplier); a stale `version` is a Conflict."""
    require_store(by, part.contract_id)
    editable = ("name", "model", "brand", "labels", "unit", "unit_price", "min_stock", "agreed_stock", "supplier")
    errors: dict[str, str] = {k: _("This field cannot be changed.") for k in sorted(set(data) - set(editable))}
    current = {k: getattr(part, k) for k in editable}
    fields = clean_part_fields(errors, {**current, **data})
    if errors:
        raise ValidationError(fields=errors)
    if version is not None and int(version) != part.version:
        raise Conflict(code="stale_version")
    changed = {k: v for k, v in fields.items() if current[k] != v}
    if not changed:
        return part
    with transaction.atomic():
        if SparePart.objects.filter(pk=part.pk, version=part.version).update(
                version=F("version") + 1, updated_at=timezone.now(), **changed) != 1:
            raise Conflict(code="stale_version")
        audit_record(actor=by, action="supplies.part_update", instance=part,
                     before={k: current[k] for k in changed}, after=changed)
    part.refresh_from_db()
    return part


# --- movements -------------------------------------------------------------------------------------------------

def find_incident(errors: dict[str, str], name: str, number: str, contract_id: int) -> Incident | None:
    """The incident `INC-…` of this contract a movement is for, or None when no number is given."""
    number = str(number or "").strip()
    if not number:
        return None
    if not TICKET_RE.match(number):
        errors[name] = _("An incident number like INC-20261123-0001 is expected.")
        return None
    incident = Incident.objects.filter(number=number, contract_id=contract_id).only("pk", "number").first()
    if incident is None:
        errors[name] = _("There is no incident %(number)s on this contract.") % {"number": number}
    return incident


def _check_location(errors: dict[str, str], name: str, location: StockLocation | None, part: SparePart,
                    *, required: bool) -> None:
    if location is None:
        if required:
            errors[name] = _("Choose a location.")
    elif location.contract_id != part.contract_id or not location.is_active:
        errors[name] = _("This location is not one of the contract's store rooms or sites.")


def _check_time(errors: dict[str, str], at: dt.datetime | None) -> dt.datetime:
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + dt.timedelta(minutes=1):
        errors["at"] = _("A movement cannot be in the future.")
    return at


def _take(part: SparePart, location: StockLocation, quantity: int) -> None:
    """Take `quantity` out of the stock at `location`, in one conditional UPDATE: zero rows changed means there
    was not enough (someone else may just have taken it), and nothing is taken."""
    taken = Stock.objects.filter(part=part, location=location, quantity__gte=quantity).update(
        quantity=F("quantity") - quantity)
    if taken != 1:
        left = Stock.objects.filter(part=part, location=location).values_list("quantity", flat=True).first() or 0
        raise ValidationError(
            _("Not enough in stock."), code="insufficient_stock",
            fields={"quantity": _("Only %(n)d %(unit)s in stock at %(location)s.") % {
                "n": left, "unit": part.unit, "location": location.name}})


def _put(part: SparePart, location: StockLocation, quantity: int) -> None:
    """Add `quantity` to the stock at `location` (the row is made on first use)."""
    if Stock.objects.filter(part=part, location=location).update(quantity=F("quantity") + quantity) == 1:
        return
    try:
        with transaction.atomic():
            Stock.objects.create(part=part, location=location, quantity=quantity)
    except IntegrityError:  # made by a concurrent movement in the meantime
        Stock.objects.filter(part=part, location=location).update(quantity=F("quantity") + quantity)


def stock_move(*, by: User, part: SparePart, kind: str, quantity: Any = None, location: StockLocation | None = None,
               to_location: StockLocation | None = None, reason: str = "", ticket: str = "",
               counted: Any = None, at: dt.datetime | None = None) -> StockMovement:
    """One movement of a part's stock, by kind:

    in: `quantity` received at `location`; out / write_off: `quantity` taken from `location` (never below
    zero); transfer: from `location` to `to_location`; adjustment: the stock at `location` set to the `counted`
    number after a stock count. A reason is always required; `ticket` (INC-…) links an incident of the part's
    contract. Engineers may only issue (out) and only for a ticket."""
    roles = roles_on(by, part.contract_id)
    if not roles & STORE_ROLES:
        if not (roles & ENGINEER_ROLES and kind == MovementKind.OUT):
            raise PermissionDenied(_("Only the contract's store keeper, project manager and system administrator "
                                     "move stock; engineers may issue a part for a ticket."))
        if not str(ticket or "").strip():
            raise ValidationError(fields={"ticket": _("Engineers issue parts for an incident: give its number.")})
    errors: dict[str, str] = {}
    if kind not in MovementKind.values:
        raise ValidationError(fields={"kind": _("Unknown kind “%(value)s”.") % {"value": str(kind)[:40]}})
    reason = clean_text(errors, "reason", reason, required=True, max_length=REASON_MAX)
    if kind == MovementKind.ADJUSTMENT:
        counted_n = clean_quantity(errors, "counted", counted, allow_zero=True)
        number = 0
    else:
        number = clean_quantity(errors, "quantity", quantity)
        counted_n = 0
    _check_location(errors, "location", location, part, required=True)
    if kind == MovementKind.TRANSFER:
        _check_location(errors, "to_location", to_location, part, required=True)
        if location is not None and to_location is not None and location.pk == to_location.pk:
            errors["to_location"] = _("Choose another location than the one it leaves.")
    incident = find_incident(errors, "ticket", ticket, part.contract_id)
    at = _check_time(errors, at)
    if not part.is_active and kind != MovementKind.WRITE_OFF:
        errors["part"] = _("This part is no longer in use.")
    if errors:
        raise ValidationError(fields=errors)
    assert location is not None
    source: StockLocation | None = None
    target: StockLocation | None = None
    with transaction.atomic():
        if kind == MovementKind.IN:
            _put(part, location, number)
            target = location
        elif kind in (MovementKind.OUT, MovementKind.WRITE_OFF):
            _take(part, location, number)
            source = location
        elif kind == MovementKind.TRANSFER:
            assert to_location is not None
            _take(part, location, number)
            _put(part, to_location, number)
            source, target = location, to_location
        else:
            number, target = _adjust(part, location, counted_n), location
        movement = StockMovement.objects.create(contract_id=part.contract_id, part=part, kind=kind, quantity=number,
                                                from_location=source, to_location=target, reason=reason,
                                                incident=incident, by=by, at=at)
        audit_record(actor=by, action=f"supplies.stock_{kind}", instance=movement, after={
            "part": part.code, "kind": kind, "quantity": number, "from": source.code if source else None,
            "to": target.code if target else None, "reason": reason, "ticket": incident.number if incident else None})
    return movement


def _adjust(part: SparePart, location: StockLocation, counted: int) -> int:
    """Set the stock at `location` to the counted number; the signed difference. Conditional on the quantity
    read, so a movement made meanwhile makes the count a Conflict instead of being overwritten."""
    current = Stock.objects.filter(part=part, location=location).values_list("quantity", flat=True).first()
    if current is None:
        if counted == 0:
            raise ValidationError(fields={"counted": _("The count matches the stock: nothing to adjust.")})
        _put(part, location, counted)
        return counted
    if counted == current:
        raise ValidationError(fields={"counted": _("The count matches the stock: nothing to adjust.")})
    if Stock.objects.filter(part=part, location=location, quantity=current).update(quantity=counted) != 1:
        raise Conflict(_("The stock changed while you counted. Count again."), code="stock_changed")
    return counted - current


def part_receive(*, by: User, part: SparePart, location: StockLocation, quantity: Any, reason: str,
                 ticket: str = "", at: dt.datetime | None = None) -> StockMovement:
    """Parts received (入库) at a location."""
    return stock_move(by=by, part=part, kind=MovementKind.IN, quantity=quantity, location=location, reason=reason,
                      ticket=ticket, at=at)


def part_issue(*, by: User, part: SparePart, location: StockLocation, quantity: Any, reason: str,
               ticket: str = "", at: dt.datetime | None = None) -> StockMovement:
    """Parts issued (出库) from a location, usually for an incident; never more than are there."""
    return stock_move(by=by, part=part, kind=MovementKind.OUT, quantity=quantity, location=location, reason=reason,
                      ticket=ticket, at=at)


def part_transfer(*, by: User, part: SparePart, location: StockLocation, to_location: StockLocation,
                  quantity: Any, reason: str, at: dt.datetime | None = None) -> StockMovement:
    """Parts moved (调拨) from one location to another."""
    return stock_move(by=by, part=part, kind=MovementKind.TRANSFER, quantity=quantity, location=location,
                      to_location=to_location, reason=reason, at=at)


def part_write_off(*, by: User, part: SparePart, location: StockLocation, quantity: Any, reason: str,
                   ticket: str = "", at: dt.datetime | None = None) -> StockMovement:
    """Parts written off (报损): broken, lost, expired."""
    return stock_move(by=by, part=part, kind=MovementKind.WRITE_OFF, quantity=quantity, location=location,
                      reason=reason, ticket=ticket, at=at)


def part_adjust(*, by: User, part: SparePart, location: StockLocation, counted: Any, reason: str,
                at: dt.datetime | None = None) -> StockMovement:
    """The stock at a location set to what a stock count (盘点) found."""
    return stock_move(by=by, part=part, kind=MovementKind.ADJUSTMENT, counted=counted, location=location,
                      reason=reason, at=at)
