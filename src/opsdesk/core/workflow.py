"""The workflow engine: one executor for every procedure declared as data in an app's `workflow.py`.

A procedure is a `Workflow`: its states, and its `Action`s (from which states, to which state, which roles
may take it, which fields it needs, which side effects it has). `perform()` checks the actor's roles, the
state, the fields and the record's version, moves the record with a conditional UPDATE (the version check
happens in the database, so it holds on SQLite too, which ignores SELECT … FOR UPDATE), runs the effects,
and leaves exactly one timeline entry and one audit entry per accepted action. Pages and the API both ask
`allowed_actions()`, so a button is shown exactly when the action would be accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .audit import audit_record, snapshot
from .errors import Conflict, NotFound, PermissionDenied, ValidationError
from .models import Activity, ActivityKind

SYSTEM_ROLE = "system"

FieldCleaner = Callable[[Any, "Field", Any], Any]


@dataclass(frozen=True)
class Field:
    """An input an action takes. `model_field` names the record field the cleaned value is written to."""

    name: str
    label: Any
    kind: str = "text"  # text | textarea | choice | user | datetime | bool
    required: bool = True
    max_length: int | None = None
    choices: Callable[[Any], list[tuple[str, Any]]] | None = None  # (record) -> [(value, label)]
    model_field: str | None = None
    clean: FieldCleaner | None = None  # (value, field, record) -> cleaned value, or raise ValueError(msg)
    help_text: Any = ""

    def options(self, record: Any) -> list[tuple[str, Any]]:
        return list(self.choices(record)) if self.choices else []


@dataclass(frozen=True)
class Action:
    """One step of a procedure. `target` None keeps the state; a callable computes it from the record."""

    name: str
    label: Any
    sources: tuple[str, ...]
    roles: frozenset[str]
    target: str | Callable[[Any], str] | None = None
    fields: tuple[Field, ...] = ()
    effects: tuple[Callable[[ActionContext], None], ...] = ()
    condition: Callable[[Any, Any], bool] | None = None  # (record, actor) -> may take it now
    automatic: bool = False  # taken by the system right after another action whenever `condition` holds
    style: str = "secondary"
    comment: bool = True  # accepts an optional free-text comment recorded on the timeline
    description: Any = ""

    def target_for(self, record: Any) -> str:
        if self.target is None:
            return str(record.status)
        if callable(self.target):
            return str(self.target(record))
        return self.target


@dataclass
class ActionContext:
    """What an effect sees: the record (already moved and versioned), the actor and the cleaned input."""

    workflow: Workflow
    action: Action
    record: Any
    actor: Any
    data: dict[str, Any]
    from_status: str
    to_status: str
    comment: str = ""
    audit_extra: dict[str, Any] = field(default_factory=dict)
    timeline_extra: dict[str, Any] = field(default_factory=dict)
    on_commit: list[Callable[[], None]] = field(default_factory=list)


@dataclass(frozen=True)
class Workflow:
    """A procedure declared as data. `roles_of(actor, record)` resolves the actor's roles on the record."""

    name: str
    model: type[models.Model]
    states: type[models.TextChoices]
    initial: str
    actions: tuple[Action, ...]
    roles_of: Callable[[Any, Any], frozenset[str]]
    audit_fields: tuple[str, ...] = ("status",)
    terminal: tuple[str, ...] = ()
    after_action: Callable[[ActionContext], None] | None = None

    def __post_init__(self) -> None:
        states = set(self.states.values)
        names = set()
        for act in self.actions:
            assert act.name not in names, f"{self.name}: duplicate action {act.name}"
            names.add(act.name)
            unknown = set(act.sources) - states
            assert not unknown, f"{self.name}.{act.name}: unknown source states {unknown}"
            if isinstance(act.target, str):
                assert act.target in states, f"{self.name}.{act.name}: unknown target {act.target}"
        assert self.initial in states

    def action(self, name: str) -> Action:
        for act in self.actions:
            if act.name == name and not act.automatic:
                return act
        raise NotFound(_("There is no action “%(action)s”.") % {"action": name}, code="unknown_action")

    def can(self, act: Action, record: Any, actor: Any, roles: frozenset[str] | None = None) -> bool:
        if record.status not in act.sources:
            return False
        roles = self.roles_of(actor, record) if roles is None else roles
        if not (roles & act.roles):
            return False
        return act.condition is None or bool(act.condition(record, actor))

    def allowed_actions(self, record: Any, actor: Any) -> list[Action]:
        """The actions `actor` may take on `record` right now, in declaration order."""
        roles = self.roles_of(actor, record)
        return [a for a in self.actions if not a.automatic and self.can(a, record, actor, roles)]

    def status_label(self, value: str) -> str:
        return str(dict(self.states.choices).get(value, value))


def _clean_fields(act: Action, record: Any, data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for fld in act.fields:
        raw = data.get(fld.name)
        if isinstance(raw, str):
            raw = raw.strip()
        if raw in (None, "", [], {}):
            if fld.required:
                errors[fld.name] = gettext("This field is required.")
            else:
                cleaned[fld.name] = None if fld.kind not in ("text", "textarea") else ""
            continue
        if fld.kind in ("text", "textarea"):
            raw = str(raw)
            if fld.max_length and len(raw) > fld.max_length:
                errors[fld.name] = gettext("At most %(n)d characters (you gave %(m)d).") % {
                    "n": fld.max_length, "m": len(raw)}
                continue
        if fld.kind == "choice" and fld.choices is not None:
            allowed = {str(v) for v, _label in fld.options(record)}
            if str(raw) not in allowed:
                errors[fld.name] = gettext("“%(value)s” is not one of the allowed choices.") % {"value": raw}
                continue
        if fld.clean is not None:
            try:
                raw = fld.clean(raw, fld, record)
            except ValueError as exc:
                errors[fld.name] = str(exc)
                continue
        cleaned[fld.name] = raw
    if errors:
        raise ValidationError(fields=errors)
    return cleaned


def perform(workflow: Workflow, *, record: Any, action: str, by: Any, data: dict[str, Any] | None = None,
            version: int | None = None) -> Any:
    """Take `action` on `record` as `by`; return the record as it is afterwards.

    Raises NotFound (no such action), Conflict (stale `version`, state changed meanwhile, or the action
    is not possible in the current state), PermissionDenied (role or condition), ValidationError (fields).
    Nothing is written unless every check passes.
    """
    data = dict(data or {})
    act = workflow.action(action)
    if version is not None and int(version) != record.version:
        raise Conflict(
            gettext("This record was changed by someone else (your version %(mine)s, now %(now)s). "
               "Reload it and try again.") % {"mine": version, "now": record.version},
            code="stale_version",
        )
    if record.status not in act.sources:
        raise Conflict(
            gettext("“%(action)s” is not possible while the status is “%(status)s”.")
            % {"action": act.label, "status": workflow.status_label(record.status)},
            code="invalid_state",
        )
    roles = workflow.roles_of(by, record)
    if not (roles & act.roles):
        raise PermissionDenied(gettext("Your role does not allow “%(action)s” here.") % {"action": act.label})
    if act.condition is not None and not act.condition(record, by):
        raise PermissionDenied(gettext("“%(action)s” is not open to you on this record now.") % {"action": act.label})
    cleaned = _clean_fields(act, record, data)
    comment = str(data.get("comment") or "").strip() if act.comment else ""
    if len(comment) > 10000:
        raise ValidationError(fields={"comment": gettext("At most %(n)d characters.") % {"n": 10000}})
    with transaction.atomic():
        _apply(workflow, act, record, by, cleaned, comment)
        _run_automatic(workflow, record)
    return record


def _apply(workflow: Workflow, act: Action, record: Any, by: Any, cleaned: dict[str, Any],
           comment: str) -> ActionContext:
    before = snapshot(record, workflow.audit_fields)
    from_status = record.status
    to_status = act.target_for(record)
    now = timezone.now()
    updates: dict[str, Any] = {"status": to_status, "version": F("version") + 1, "updated_at": now}
    for fld in act.fields:
        if fld.model_field and fld.name in cleaned:
            value = cleaned[fld.name]
            if value == "" or (value is None and not _nullable(record, fld.model_field)):
                continue  # an optional input left empty keeps the record's value (never blanks it)
            updates[fld.model_field] = value
    model = type(record)
    moved = model._default_manager.filter(pk=record.pk, version=record.version, status=from_status).update(
        **updates)
    if moved != 1:
        raise Conflict(
            gettext("This record was changed by someone else in the meantime. Reload it and try again."),
            code="stale_version",
        )
    for name, value in updates.items():
        if name != "version":
            setattr(record, name, value)
    record.version += 1
    ctx = ActionContext(workflow=workflow, action=act, record=record, actor=by, data=cleaned,
                        from_status=from_status, to_status=to_status, comment=comment)
    for effect in act.effects:
        effect(ctx)
    shown = {k: v for k, v in cleaned.items() if v not in (None, "")}
    Activity.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_id=record.pk,
        kind=ActivityKind.ACTION,
        action=act.name,
        from_status=from_status,
        to_status=to_status,
        actor=by if getattr(by, "pk", None) else None,
        body=comment,
        data={**{k: _display(v) for k, v in shown.items()}, **ctx.timeline_extra},
    )
    after = snapshot(record, workflow.audit_fields)
    after.update(ctx.audit_extra)
    audit_record(actor=by, action=f"{workflow.name}.{act.name}", instance=record, before=before, after=after)
    if workflow.after_action is not None:
        workflow.after_action(ctx)
    for callback in ctx.on_commit:
        transaction.on_commit(callback)
    return ctx


def _run_automatic(workflow: Workflow, record: Any) -> None:
    """Take the automatic actions whose condition now holds (as the system, each its own step)."""
    for _round in range(10):  # a declaration error must not loop forever
        auto = [a for a in workflow.actions
                if a.automatic and record.status in a.sources and (a.condition is None or a.condition(record, None))]
        if not auto:
            return
        _apply(workflow, auto[0], record, None, {}, "")


def _nullable(record: Any, name: str) -> bool:
    return bool(record._meta.get_field(name).null)


def _display(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def roles_union(*parts: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for part in parts:
        out.update(part)
    return frozenset(out)


def describe_actions(workflow: Workflow, record: Any, actor: Any, *,
                     with_choices: bool = True) -> list[dict[str, Any]]:
    """The actions `actor` may take now, with their fields, as plain data (API `allowed_actions`, page forms).

    Without `with_choices`, fields carry `choices: None`: list rows skip the per-row queries of user pickers.
    """
    out = []
    for act in workflow.allowed_actions(record, actor):
        out.append({
            "name": act.name,
            "label": str(act.label),
            "description": str(act.description),
            "style": act.style,
            "target": act.target_for(record) if not callable(act.target) else act.target(record),
            "fields": [
                {"name": f.name, "label": str(f.label), "type": f.kind, "required": f.required,
                 "max_length": f.max_length,
                 "choices": ([{"value": str(v), "label": str(lbl)} for v, lbl in f.options(record)]
                             if with_choices else None)}
                for f in act.fields
            ],
        })
    return out
