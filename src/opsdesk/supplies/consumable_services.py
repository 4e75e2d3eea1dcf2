"""Every write about consumables (耗材): the catalogue, stock received and counted, issues (领用) to a department
and a person, loans (借用) and their return. One transaction and one audit record each; stock changes only by
conditional UPDATEs, so it never goes below zero however many issue at once.

The store keeper, project manager and system administrator manage the catalogue and receive and count stock;
engineers (who replace toner and mice at the desks) may also issue, lend and take back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Contract, Department, User
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import Conflict, PermissionDenied, ValidationError
from opsdesk.core.services import clean_text

from .choices import ConsumableMovementKind as Kind
from .models import NAME_MAX, Consumable, ConsumableMovement, Loan
from .services import (
    ENGINEER_ROLES,
    REASON_MAX,
    STORE_ROLES,
    _check_time,
    clean_code,
    clean_price,
    clean_quantity,
    require_store,
    roles_on,
)

MAX_LOAN_DAYS = 366


def _require_hand_out(by: User, contract_id: int) -> None:
    if not roles_on(by, contract_id) & (STORE_ROLES | ENGINEER_ROLES):
        raise PermissionDenied(_("Only the contract's store keeper, engineers, project manager and system "
                                 "administrator hand out consumables."))


def clean_consumable_fields(errors: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    """The descriptive fields of a consumable, checked."""
    out: dict[str, Any] = {
        "name": clean_text(errors, "name", data.get("name"), required=True, max_length=NAME_MAX),
        "model": clean_text(errors, "model", data.get("model"), max_length=NAME_MAX),
        "brand": clean_text(errors, "brand", data.get("brand"), max_length=100),
        "unit": clean_text(errors, "unit", data.get("unit") or "个", max_length=20),
        "unit_price": clean_price(errors, "unit_price", data.get("unit_price")),
        "supplier": clean_text(errors, "supplier", data.get("supplier"), max_length=NAME_MAX),
    }
    raw = data.get("min_stock")
    out["min_stock"] = clean_quantity(errors, "min_stock", 0 if raw in (None, "") else raw, allow_zero=True)
    return out


def consumable_create(*, by: User, contract: Contract, code: str, name: str, model: str = "", brand: str = "",
                      unit: str = "个", unit_price: Any = "0", supplier: str = "", min_stock: Any = 0) -> Consumable:
    """A new consumable of the contract, with no stock yet (receive it)."""
    require_store(by, contract.pk)
    errors: dict[str, str] = {}
    code = clean_code(errors, "code", code)
    fields = clean_consumable_fields(errors, {"name": name, "model": model, "brand": brand, "unit": unit,
                                              "unit_price": unit_price, "supplier": supplier,
                                              "min_stock": min_stock})
    if code and Consumable.objects.filter(contract=contract, code=code).exists():
        errors["code"] = _("The code “%(code)s” is taken on this contract.") % {"code": code}
    if errors:
        raise ValidationError(fields=errors)
    try:
        with transaction.atomic():
            consumable = Consumable.objects.create(contract=contract, code=code, **fields)
            audit_record(actor=by, action="supplies.consumable_create", instance=consumable,
                         after={"contract": contract.code, "code": code, **fields})
    except IntegrityError:
        raise ValidationError(fields={"code": _("The code “%(code)s” is taken on this contract.") % {
            "code": code}}) from None
    return consumable


def _take(consumable: Consumable, quantity: int) -> None:
    """Take from stock in one conditional UPDATE; not enough (perhaps just taken by someone else): nothing."""
    if Consumable.objects.filter(pk=consumable.pk, quantity__gte=quantity).update(
            quantity=F("quantity") - quantity) != 1:
        left = Consumable.objects.filter(pk=consumable.pk).values_list("quantity", flat=True).first() or 0
        raise ValidationError(_("Not enough in stock."), code="insufficient_stock", fields={
            "quantity": _("Only %(n)d %(unit)s in stock.") % {"n": left, "unit": consumable.unit}})


def _movement(*, consumable: Consumable, kind: str, quantity: int, by: User, at: dt.datetime, **extra: Any
              ) -> ConsumableMovement:
    price = consumable.unit_price
    return ConsumableMovement.objects.create(contract_id=consumable.contract_id, consumable=consumable, kind=kind,
                                             quantity=quantity, unit_price=price, amount=price * quantity, by=by,
                                             at=at, **extra)


def _recipient(errors: dict[str, str], consumable: Consumable, department: Department | None,
               person: User | None, person_name: str, *, field: str) -> tuple[str, Department | None]:
    """The department (of the contract's client) and the person: a user, or a name typed in."""
    if department is not None and department.organisation_id != consumable.contract.organisation_id:
        errors["department"] = _("Choose a department of the contract's client.")
    name = clean_text(errors, field, person_name, max_length=100)
    if person is not None:
        name = (person.full_name or person.username)[:100]
        if department is None and person.department_id is not None and person.organisation_id == \
                consumable.contract.organisation_id:
            department = person.department
    if not name:
        errors[field] = _("Name the person who takes it.")
    if department is None and "department" not in errors:
        errors["department"] = _("Choose the department.")
    return name, department


def consumable_receive(*, by: User, consumable: Consumable, quantity: Any, reason: str = "",
                       at: dt.datetime | None = None) -> ConsumableMovement:
    """Consumables received into stock (入库)."""
    require_store(by, consumable.contract_id)
    errors: dict[str, str] = {}
    number = clean_quantity(errors, "quantity", quantity)
    reason = clean_text(errors, "reason", reason, max_length=REASON_MAX)
    at = _check_time(errors, at)
    if errors:
        raise ValidationError(fields=errors)
    with transaction.atomic():
        Consumable.objects.filter(pk=consumable.pk).update(quantity=F("quantity") + number)
        movement = _movement(consumable=consumable, kind=Kind.IN, quantity=number, by=by, at=at, reason=reason)
        audit_record(actor=by, action="supplies.consumable_in", instance=movement,
                     after={"consumable": consumable.code, "quantity": number, "reason": reason})
    return movement


def consumable_issue(*, by: User, consumable: Consumable, quantity: Any, department: Department | None = None,
                     person: User | None = None, person_name: str = "", reason: str = "",
                     at: dt.datetime | None = None) -> ConsumableMovement:
    """Consumables issued (领用) to a department of the client and a person (a user or a name); never more than
    are in stock."""
    _require_hand_out(by, consumable.contract_id)
    errors: dict[str, str] = {}
    number = clean_quantity(errors, "quantity", quantity)
    name, department = _recipient(errors, consumable, department, person, person_name, field="person")
    reason = clean_text(errors, "reason", reason, max_length=REASON_MAX)
    at = _check_time(errors, at)
    if errors:
        raise ValidationError(fields=errors)
    with transaction.atomic():
        _take(consumable, number)
        movement = _movement(consumable=consumable, kind=Kind.ISSUE, quantity=number, by=by, at=at,
                             department=department, recipient=person, recipient_name=name, reason=reason)
        audit_record(actor=by, action="supplies.consumable_issue", instance=movement, after={
            "consumable": consumable.code, "quantity": number, "department": department.name if department else None,
            "person": name, "amount": movement.amount})
    return movement


def consumable_adjust(*, by: User, consumable: Consumable, counted: Any, reason: str) -> ConsumableMovement:
    """The stock set to what a count found (conditional on the quantity read: a change meanwhile is a Conflict)."""
    require_store(by, consumable.contract_id)
    errors: dict[str, str] = {}
    number = clean_quantity(errors, "counted", counted, allow_zero=True)
    reason = clean_text(errors, "reason", reason, required=True, max_length=REASON_MAX)
    if errors:
        raise ValidationError(fields=errors)
    current = Consumable.objects.filter(pk=consumable.pk).values_list("quantity", flat=True).get()
    if number == current:
        raise ValidationError(fields={"counted": _("The count matches the stock: nothing to adjust.")})
    with transaction.atomic():
        if Consumable.objects.filter(pk=consumable.pk, quantity=current).update(quantity=number) != 1:
            raise Conflict(_("The stock changed while you counted. Count again."), code="stock_changed")
        movement = _movement(consumable=consumable, kind=Kind.ADJUSTMENT, quantity=number - current, by=by,
                             at=timezone.now(), reason=reason)
        audit_record(actor=by, action="supplies.consumable_adjust", instance=movement,
                     before={"quantity": current}, after={"quantity": number, "reason": reason})
    return movement


def loan_create(*, by: User, consumable: Consumable, quantity: Any, due_on: dt.date | None,
                department: Department | None = None, person: User | None = None, person_name: str = "",
                notes: str = "", at: dt.datetime | None = None) -> Loan:
    """Consumables lent (借用) to a person of a department until `due_on`; they leave the stock until returned."""
    _require_hand_out(by, consumable.contract_id)
    errors: dict[str, str] = {}
    number = clean_quantity(errors, "quantity", quantity)
    name, department = _recipient(errors, consumable, department, person, person_name, field="person")
    notes = clean_text(errors, "notes", notes, max_length=REASON_MAX)
    at = _check_time(errors, at)
    today = timezone.localdate(at) if "at" not in errors else timezone.localdate()
    if due_on is None:
        errors["due_on"] = _("Give the day it is due back.")
    elif not today <= due_on <= today + dt.timedelta(days=MAX_LOAN_DAYS):
        errors["due_on"] = _("Due back between today and a year from now.")
    if errors:
        raise ValidationError(fields=errors)
    assert due_on is not None
    with transaction.atomic():
        _take(consumable, number)
        loan = Loan.objects.create(contract_id=consumable.contract_id, consumable=consumable, quantity=number,
                                   department=department, borrower=person, borrower_name=name, lent_at=at,
                                   due_on=due_on, lent_by=by, notes=notes)
        _movement(consumable=consumable, kind=Kind.LOAN, quantity=number, by=by, at=at, department=department,
                  recipient=person, recipient_name=name, loan=loan, reason=notes)
        audit_record(actor=by, action="supplies.loan_create", instance=loan, after={
            "consumable": consumable.code, "quantity": number, "person": name, "due_on": due_on})
    return loan


def loan_return(*, by: User, loan: Loan, at: dt.datetime | None = None) -> Loan:
    """A loan given back (归还): its quantity returns to stock. Returning twice is a Conflict."""
    _require_hand_out(by, loan.contract_id)
    errors: dict[str, str] = {}
    at = _check_time(errors, at)
    if at < loan.lent_at:
        errors["at"] = _("It cannot come back before it was lent.")
    if errors:
        raise ValidationError(fields=errors)
    with transaction.atomic():
        if Loan.objects.filter(pk=loan.pk, returned_at__isnull=True).update(returned_at=at, returned_to=by) != 1:
            raise Conflict(_("This loan has been returned already."), code="already_returned")
        Consumable.objects.filter(pk=loan.consumable_id).update(quantity=F("quantity") + loan.quantity)
        _movement(consumable=loan.consumable, kind=Kind.RETURN, quantity=loan.quantity, by=by, at=at,
                  department=loan.department, recipient=loan.borrower, recipient_name=loan.borrower_name, loan=loan)
        audit_record(actor=by, action="supplies.loan_return", instance=loan,
                     after={"returned_at": at, "quantity": loan.quantity})
    loan.returned_at, loan.returned_to = at, by
    return loan
