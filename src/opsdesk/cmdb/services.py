"""Every write to the CMDB: types and their attribute definitions, items (attributes checked against their
type, every change on the item's timeline), relationships. Each in one transaction, audited; bad input is
reported per field and writes nothing."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import Activity, ActivityKind
from opsdesk.core.services import clean_text

from .choices import AttributeKind, Importance, ItemStatus, RelationKind
from .models import KEY_MAX, NAME_MAX, AffectedItem, CIType, ConfigurationItem, Relationship

EDITORS = frozenset({Role.ENGINEER, Role.SECOND_LINE, Role.PROJECT_MANAGER, Role.SYSTEM_ADMIN})
TYPE_ADMINS = frozenset({Role.SYSTEM_ADMIN, Role.PROJECT_MANAGER})
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
TEXT_VALUE_MAX = 2000
ITEM_FIELDS = ("name", "status", "importance", "owner", "location", "attributes")


# --- types ---------------------------------------------------------------------------------------------------

def clean_attribute_definitions(value: Any) -> list[dict[str, Any]]:
    """A type's attribute definitions, checked: each a distinct lower-case name, a label, a known kind, and
    for a choice its options. Errors name the definition (`attributes.3.kind`)."""
    errors: dict[str, str] = {}
    if not isinstance(value, list):
        raise ValidationError(fields={"attributes": _("A list of attribute definitions is expected.")})
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, spec in enumerate(value):
        where = f"attributes.{i}"
        if not isinstance(spec, dict):
            errors[where] = _("Each attribute is an object with a name, a label and a kind.")
            continue
        name = str(spec.get("name") or "").strip()
        if not NAME_RE.match(name):
            errors[f"{where}.name"] = _("Lower-case letters, digits and _ only, starting with a letter.")
        elif name in seen:
            errors[f"{where}.name"] = _("“%(name)s” is defined twice.") % {"name": name}
        seen.add(name)
        label = clean_text(errors, f"{where}.label", spec.get("label") or name, max_length=100)
        kind = str(spec.get("kind") or AttributeKind.TEXT)
        if kind not in AttributeKind.values:
            errors[f"{where}.kind"] = _("Unknown kind “%(value)s”.") % {"value": kind[:40]}
        choices = spec.get("choices") or []
        if kind == AttributeKind.CHOICE and (not isinstance(choices, list) or not choices
                                             or not all(isinstance(c, str) and c.strip() for c in choices)):
            errors[f"{where}.choices"] = _("A choice needs a list of its options.")
        out.append({"name": name, "label": label, "kind": kind, "required": bool(spec.get("required")),
                    **({"choices": [c.strip() for c in choices]} if kind == AttributeKind.CHOICE else {})})
    if errors:
        raise ValidationError(fields=errors)
    return out


def may_define_types(by: User) -> bool:
    return bool(by.is_superuser or access_for(by).roles & TYPE_ADMINS)


def ci_type_create(*, by: User, code: str, name: str, description: str = "",
                   attributes: list[dict[str, Any]] | None = None) -> CIType:
    """A new configuration-item type (system administrators and project managers)."""
    if not may_define_types(by):
        raise PermissionDenied(_("Only system administrators and project managers define item types."))
    errors: dict[str, str] = {}
    code = clean_text(errors, "code", code, required=True, max_length=50)
    if code and not re.match(r"^[a-z][a-z0-9_-]*$", code):
        errors["code"] = _("Lower-case letters, digits, - and _ only, starting with a letter.")
    name = clean_text(errors, "name", name, required=True, max_length=100)
    description = clean_text(errors, "description", description, max_length=2000)
    if errors:
        raise ValidationError(fields=errors)
    definitions = clean_attribute_definitions(attributes or [])
    try:
        with transaction.atomic():
            ci_type = CIType.objects.create(code=code, name=name, description=description, attributes=definitions)
            audit_record(actor=by, action="cmdb.type_create", instance=ci_type,
                         after={"code": code, "name": name, "attributes": definitions})
    except IntegrityError:
        raise ValidationError(fields={"code": _("The code “%(code)s” is taken.") % {"code": code}}) from None
    return ci_type


def ci_type_update(*, by: User, ci_type: CIType, name: str | None = None, description: str | None = None,
                   attributes: list[dict[str, Any]] | None = None, is_active: bool | None = None) -> CIType:
    """Change a type's name, description, attributes or use (system administrators and project managers).

    The recorded items stay valid: an attribute keeps its name and kind once defined and is never dropped, a
    choice keeps its options (more may be added), and an attribute added to a type that has items cannot be
    required (those items have no value for it)."""
    if not may_define_types(by):
        raise PermissionDenied(_("Only system administrators and project managers define item types."))
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = clean_text(errors, "name", name, required=True, max_length=100)
    if description is not None:
        changes["description"] = clean_text(errors, "description", description, max_length=2000)
    if is_active is not None:
        changes["is_active"] = bool(is_active)
    if errors:
        raise ValidationError(fields=errors)
    if attributes is not None:
        definitions = clean_attribute_definitions(attributes)
        before = {spec["name"]: spec for spec in ci_type.attributes}
        after = {spec["name"]: (i, spec) for i, spec in enumerate(definitions)}
        has_items = ConfigurationItem.objects.filter(ci_type=ci_type).exists()
        for attr, old in before.items():
            if attr not in after:
                errors["attributes"] = _("“%(name)s” cannot be removed: items may hold a value for it.") % {
                    "name": attr}
                continue
            i, new = after[attr]
            if new["kind"] != old["kind"]:
                errors[f"attributes.{i}.kind"] = _("The kind of “%(name)s” cannot change.") % {"name": attr}
            elif set(old.get("choices", [])) - set(new.get("choices", [])):
                errors[f"attributes.{i}.choices"] = _("Options of “%(name)s” can be added, not removed.") % {
                    "name": attr}
            elif new["required"] and not old.get("required") and has_items:
                errors[f"attributes.{i}.required"] = _("Items of this type have no value for it yet.")
        for attr, (i, new) in after.items():
            if attr not in before and new["required"] and has_items:
                errors[f"attributes.{i}.required"] = _("Items of this type have no value for it yet.")
        if errors:
            raise ValidationError(fields=errors)
        changes["attributes"] = definitions
    changed = {k: v for k, v in changes.items() if getattr(ci_type, k) != v}
    if not changed:
        return ci_type
    before_values = {k: getattr(ci_type, k) for k in changed}
    with transaction.atomic():
        CIType.objects.filter(pk=ci_type.pk).update(updated_at=timezone.now(), **changed)
        for k, v in changed.items():
            setattr(ci_type, k, v)
        audit_record(actor=by, action="cmdb.type_update", instance=ci_type, before=before_values, after=changed)
    return ci_type


# --- attribute values -------------------------------------------------------------------------------------------

def clean_attribute_values(ci_type: CIType, values: Any) -> dict[str, Any]:
    """An item's attribute values checked against its type: known names only, required ones present, each
    of its kind (dates as YYYY-MM-DD). Errors name the attribute (`attributes.cpu_cores`)."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError(fields={"attributes": _("An object of attribute values is expected.")})
    specs = {spec["name"]: spec for spec in ci_type.attributes}
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name in values:
        if name not in specs:
            errors[f"attributes.{name}"[:100]] = _("“%(type)s” has no attribute “%(name)s”.") % {
                "type": ci_type.name, "name": str(name)[:50]}
    for name, spec in specs.items():
        raw = values.get(name)
        if isinstance(raw, str):
            raw = raw.strip()
        if raw in (None, ""):
            if spec.get("required"):
                errors[f"attributes.{name}"] = _("“%(label)s” is required.") % {"label": spec["label"]}
            continue
        try:
            out[name] = attribute_value(spec, raw)
        except ValueError as exc:
            errors[f"attributes.{name}"] = str(exc)
    if errors:
        raise ValidationError(fields=errors)
    return out


def attribute_value(spec: dict[str, Any], raw: Any) -> Any:
    kind = spec["kind"]
    if kind == AttributeKind.TEXT:
        text = str(raw)
        if len(text) > TEXT_VALUE_MAX or "\x00" in text:
            raise ValueError(_("At most %(n)d characters, no null characters.") % {"n": TEXT_VALUE_MAX})
        return text
    if kind == AttributeKind.INTEGER:
        if isinstance(raw, bool) or not re.match(r"^-?\d{1,15}$", str(raw).strip()):
            raise ValueError(_("A whole number is expected."))
        return int(str(raw).strip())
    if kind == AttributeKind.DECIMAL:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError(_("A number is expected.")) from None
        if not number.is_finite():
            raise ValueError(_("A number is expected."))
        return str(number)
    if kind == AttributeKind.DATE:
        try:
            return dt.date.fromisoformat(str(raw).strip()[:10]).isoformat()
        except ValueError:
            raise ValueError(_("A date like 2026-11-23 is expected.")) from None
    if kind == AttributeKind.BOOL:
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes", "是"):
            return True
        if text in ("false", "0", "no", "否"):
            return False
        raise ValueError(_("Yes or no is expected."))
    if str(raw).strip() not in spec.get("choices", []):
        raise ValueError(_("“%(value)s” is not one of the options.") % {"value": str(raw)[:50]})
    return str(raw).strip()


# --- items ---------------------------------------------------------------------------------------------------

def may_edit_items(user: User, contract_id: int) -> bool:
    """Whether `user` edits the configuration items of the contract (pages ask before showing the buttons)."""
    return bool(access_for(user).roles_on(contract_id) & EDITORS)


def _require_editor(by: User, contract_id: int) -> None:
    access = access_for(by)
    if contract_id not in access.staff_contract_ids:
        raise NotFound(_("Unknown contract."))
    if not may_edit_items(by, contract_id):
        raise PermissionDenied(_("Only the contract's engineers, project manager and system administrator edit "
                                 "configuration items."))


def _fields(errors: dict[str, str], data: dict[str, Any], contract_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = clean_text(errors, "name", data["name"], required=True, max_length=NAME_MAX)
    if "location" in data:
        out["location"] = clean_text(errors, "location", data["location"], max_length=NAME_MAX)
    if "status" in data:
        if data["status"] not in ItemStatus.values:
            errors["status"] = _("Unknown status “%(value)s”.") % {"value": str(data["status"])[:40]}
        out["status"] = data["status"]
    if "importance" in data:
        try:
            out["importance"] = int(data["importance"])
            if out["importance"] not in Importance.values:
                raise ValueError
        except (TypeError, ValueError):
            errors["importance"] = _("Importance is 1 (critical) to 4 (low).")
    if "owner" in data:
        owner = data["owner"]
        if owner is not None and not (isinstance(owner, User) and access_for(owner).roles_on(contract_id)):
            errors["owner"] = _("The owner must be someone of this contract.")
        out["owner"] = owner
    return out


def item_create(*, by: User, contract: Contract, ci_type: CIType, key: str, name: str,
                status: str = ItemStatus.ACTIVE, importance: int = Importance.MEDIUM, owner: User | None = None,
                location: str = "", attributes: dict[str, Any] | None = None) -> ConfigurationItem:
    _require_editor(by, contract.pk)
    errors: dict[str, str] = {}
    key = clean_text(errors, "key", key, required=True, max_length=KEY_MAX)
    fields = _fields(errors, {"name": name, "status": status, "importance": importance, "owner": owner,
                              "location": location}, contract.pk)
    if not ci_type.is_active:
        errors["ci_type"] = _("This type is no longer in use.")
    try:
        values = clean_attribute_values(ci_type, attributes)
    except ValidationError as exc:
        errors.update(exc.fields)
        values = {}
    if key and ConfigurationItem.objects.filter(contract=contract, key=key).exists():
        errors["key"] = _("The key “%(key)s” is taken on this contract.") % {"key": key}
    if errors:
        raise ValidationError(fields=errors)
    try:
        with transaction.atomic():
            item = ConfigurationItem.objects.create(contract=contract, organisation_id=contract.organisation_id,
                                                    ci_type=ci_type, key=key, attributes=values, **fields)
            Activity.objects.create(content_type=ContentType.objects.get_for_model(ConfigurationItem),
                                    object_id=item.pk, kind=ActivityKind.CREATED, actor=by, to_status=item.status)
            audit_record(actor=by, action="cmdb.item_create", instance=item,
                         after={"key": key, "type": ci_type.code, "contract": contract.code, **_snapshot(item)})
    except IntegrityError:
        raise ValidationError(fields={"key": _("The key “%(key)s” is taken on this contract.") % {"key": key}}) \
            from None
    return item


def _snapshot(item: ConfigurationItem) -> dict[str, Any]:
    return {"name": item.name, "status": item.status, "importance": item.importance,
            "owner": item.owner.username if item.owner else None, "location": item.location,
            "attributes": dict(item.attributes)}


def item_update(*, by: User, item: ConfigurationItem, data: dict[str, Any], version: int | None = None
                ) -> ConfigurationItem:
    """Change some of an item's fields (`data`: name, status, importance, owner, location, attributes — the
    attributes given replace the stored ones). A stale `version` is a Conflict. Each changed field goes on the
    item's timeline with its value before and after."""
    _require_editor(by, item.contract_id)
    unknown = set(data) - set(ITEM_FIELDS)
    errors: dict[str, str] = {name: _("This field cannot be changed.") for name in sorted(unknown)}
    fields = _fields(errors, data, item.contract_id)
    if "attributes" in data:
        try:
            fields["attributes"] = clean_attribute_values(item.ci_type, data["attributes"])
        except ValidationError as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationError(fields=errors)
    if version is not None and int(version) != item.version:
        raise Conflict(_("This item was changed by someone else (your version %(mine)s, now %(now)s). Reload it "
                         "and try again.") % {"mine": version, "now": item.version}, code="stale_version")
    before = _snapshot(item)
    changed = {k: v for k, v in fields.items() if getattr(item, k) != v}
    if not changed:
        return item
    with transaction.atomic():
        moved = ConfigurationItem.objects.filter(pk=item.pk, version=item.version).update(
            version=F("version") + 1, updated_at=timezone.now(), **changed)
        if moved != 1:
            raise Conflict(_("This item was changed by someone else in the meantime. Reload it and try again."),
                           code="stale_version")
        for name, value in changed.items():
            setattr(item, name, value)
        item.version += 1
        after = _snapshot(item)
        diff = {k: [before[k], after[k]] for k in changed}
        Activity.objects.create(content_type=ContentType.objects.get_for_model(ConfigurationItem),
                                object_id=item.pk, kind=ActivityKind.SYSTEM, action="updated", actor=by,
                                data={"changes": diff})
        audit_record(actor=by, action="cmdb.item_update", instance=item,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return item


# --- relationships ------------------------------------------------------------------------------------------

def relationship_create(*, by: User, source: ConfigurationItem, target: ConfigurationItem, kind: str
                        ) -> Relationship:
    _require_editor(by, source.contract_id)
    errors: dict[str, str] = {}
    if kind not in RelationKind.values:
        errors["kind"] = _("Unknown kind “%(value)s”.") % {"value": str(kind)[:40]}
    if source.pk == target.pk:
        errors["target"] = _("An item cannot be related to itself.")
    elif source.contract_id != target.contract_id:
        errors["target"] = _("Both items must be of one contract.")
    if errors:
        raise ValidationError(fields=errors)
    try:
        with transaction.atomic():
            relation = Relationship.objects.create(source=source, target=target, kind=kind)
            audit_record(actor=by, action="cmdb.relationship_create", instance=relation,
                         after={"source": source.key, "kind": kind, "target": target.key})
    except IntegrityError:
        raise ValidationError(fields={"target": _("This relationship exists already.")}) from None
    return relation


def relationship_delete(*, by: User, relation: Relationship) -> None:
    _require_editor(by, relation.source.contract_id)
    with transaction.atomic():
        audit_record(actor=by, action="cmdb.relationship_delete", instance=relation,
                     before={"source": relation.source.key, "kind": relation.kind, "target": relation.target.key})
        relation.delete()


# --- tickets that affect items ------------------------------------------------------------------------------------

TICKET_LINKERS = frozenset({Role.AGENT, Role.ENGINEER, Role.SECOND_LINE, Role.PROJECT_MANAGER, Role.SYSTEM_ADMIN})


def _require_linker(by: User, ticket: Any) -> None:
    if not access_for(by).roles_on(ticket.contract_id) & TICKET_LINKERS:
        raise PermissionDenied(_("Only the contract's service desk, engineers and project manager link "
                                 "configuration items to tickets."))


def affected_item_link(*, by: User, ticket: Any, item: ConfigurationItem) -> AffectedItem:
    """Record that `ticket` (an incident, …) affects `item`; both of one contract; on the ticket's timeline."""
    _require_linker(by, ticket)
    if item.contract_id != ticket.contract_id:
        raise ValidationError(fields={"item": _("The item must be of the ticket's contract.")})
    content_type = ContentType.objects.get_for_model(type(ticket))
    try:
        with transaction.atomic():
            link = AffectedItem.objects.create(item=item, content_type=content_type, object_id=ticket.pk,
                                               created_by=by)
            Activity.objects.create(content_type=content_type, object_id=ticket.pk, kind=ActivityKind.SYSTEM,
                                    action="item_linked", actor=by, internal=True,
                                    data={"item": item.key, "item_name": item.name})
            audit_record(actor=by, action="cmdb.affected_item_link", instance=link,
                         after={"ticket": str(ticket), "item": item.key})
    except IntegrityError:
        raise ValidationError(fields={"item": _("“%(key)s” is linked already.") % {"key": item.key}}) from None
    return link


def affected_item_unlink(*, by: User, ticket: Any, item: ConfigurationItem) -> None:
    """Remove the link between `ticket` and `item` (on the ticket's timeline)."""
    _require_linker(by, ticket)
    content_type = ContentType.objects.get_for_model(type(ticket))
    link = AffectedItem.objects.filter(item=item, content_type=content_type, object_id=ticket.pk).first()
    if link is None:
        raise NotFound(_("“%(key)s” is not linked to this ticket.") % {"key": item.key})
    with transaction.atomic():
        audit_record(actor=by, action="cmdb.affected_item_unlink", instance=link,
                     before={"ticket": str(ticket), "item": item.key})
        Activity.objects.create(content_type=content_type, object_id=ticket.pk, kind=ActivityKind.SYSTEM,
                                action="item_unlinked", actor=by, internal=True,
                                data={"item": item.key, "item_name": item.name})
        link.delete()
