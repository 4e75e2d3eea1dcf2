"""Template tags shared by every page: badges, form fields, cursor pagination, timeline helpers.

Nothing here knows a domain noun: badges read the colour the record's choices give it (`status_colour`),
and the timeline helpers take the workflow declaration as an argument.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from typing import Any

from django import forms, template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext

register = template.Library()


@functools.cache
def _labels(field: Any) -> dict[Any, Any]:
    return dict(field.flatchoices)


def _display(record: Any, name: str) -> Any:
    """`record.get_<name>_display()` from a label map built once per field: Django's own rebuilds the map
    of every choice on each call, which was a tenth of a list page (three badges a row)."""
    value = getattr(record, name)
    try:
        field = record._meta.get_field(name)
    except (AttributeError, LookupError):
        return value
    if not field.choices:
        return value
    return _labels(field).get(value, value)


# Badges are built in Python, not from component templates: a list page draws two per row, and rendering a
# template per badge was a third of the list page's time (bench/RESULTS.md).
def _badge(text: Any, colour: str, css: str = "", attrs: str = "", *args: Any) -> str:
    return format_html('<span class="badge bg-{}-lt{}"' + attrs + ">{}</span>", colour or "secondary",
                       f" {css}" if css else "", *args, text)


@register.simple_tag
def badge(text: Any, colour: str = "secondary", title: str = "") -> str:
    """A coloured Tabler badge; `colour` is a Tabler colour name (blue, orange …)."""
    if title:
        return _badge(text, colour, "", ' title="{}"', title)
    return _badge(text, colour)


@register.simple_tag
def status_badge(record: Any) -> str:
    """The record's status with the colour its choices give it (`status_colour`)."""
    return _badge(_display(record, "status"),
                  getattr(record, "status_colour", "secondary"), "status-badge", ' data-status="{}"', record.status)


@register.simple_tag
def state_badge(workflow: Any, value: str, colours: dict | None = None) -> str:
    """A status given by its value (e.g. a timeline entry's from/to), labelled by the workflow."""
    return _badge(workflow.status_label(value) if value else "", (colours or {}).get(value, "secondary"),
                  "status-badge", ' data-status="{}"', value)


@register.simple_tag
def level_badge(record: Any, help_texts: dict | None = None) -> str:
    """A severity level (1 worst … 4) with its label; the definition, when given, as a tooltip."""
    level = record.level
    colour = getattr(record, "level_colour", None) or "secondary"
    text = _display(record, "level")
    help_text = (help_texts or {}).get(level, "")
    if help_text:
        return _badge(text, colour, "level-badge", ' data-level="{}" title="{}"', level, help_text)
    return _badge(text, colour, "level-badge", ' data-level="{}"', level)


def _widget_class(field: forms.BoundField) -> str:
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


@register.simple_tag
def widget(field: forms.BoundField, attrs: dict | None = None, **extra: Any) -> str:
    """Render a field's widget with the theme's class, `is-invalid` when it has errors, and extra attributes."""
    attrs = {**(attrs or {}), **extra}
    classes = [_widget_class(field)]
    if field.errors:
        classes.append("is-invalid")
    if attrs.get("class"):
        classes.append(attrs.pop("class"))
    final = {"class": " ".join(classes)}
    if field.errors:
        final["aria-invalid"] = "true"
        final["aria-describedby"] = f"{field.auto_id}-errors"
    final.update({k.replace("_", "-"): v for k, v in attrs.items()})
    return field.as_widget(attrs=final)


@register.inclusion_tag("components/field.html")
def form_field(field: forms.BoundField, **attrs: Any) -> dict:
    """A labelled form field with its help text and its errors right under it."""
    return {"field": field, "attrs": attrs,
            "is_check": isinstance(field.field.widget, forms.CheckboxInput)}


@register.inclusion_tag("components/pagination.html", takes_context=True)
def pagination(context: template.Context, page: Any) -> dict:
    """Previous / next links of a keyset page; every other query parameter (the filters) is kept."""
    return {"page": page, "request": context.get("request")}


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """`mapping|get:key` — a dict lookup with a variable key (None when absent)."""
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def as_datetime(value: Any) -> Any:
    """An ISO 8601 string (as stored in JSON details) as an aware datetime, so `|date` shows local time."""
    if isinstance(value, dt.datetime):
        return value
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return value
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    return timezone.localtime(parsed)


@register.simple_tag
def action_label(workflow: Any, name: str) -> str:
    """The label of a workflow action by name (automatic ones included), for timeline entries."""
    for act in workflow.actions:
        if act.name == name:
            return str(act.label)
    return name


@register.simple_tag
def activity_details(workflow: Any, activity: Any, labels: dict | None = None) -> list[tuple[str, Any]]:
    """The inputs recorded with an action, as (label, value) pairs labelled by the action's declaration."""
    data = activity.data or {}
    if not data:
        return []
    field_labels: dict[str, str] = {}
    value_labels: dict[str, dict[str, str]] = {}
    for act in workflow.actions:
        if act.name == activity.action:
            field_labels = {f.name: str(f.label) for f in act.fields}
            for f in act.fields:
                if f.kind == "choice":  # fixed lists (hold reason …) show their label, not the stored code
                    with contextlib.suppress(AttributeError, TypeError):  # unless they depend on the record
                        value_labels[f.name] = {str(v): str(lbl) for v, lbl in f.options(None)}
            break
    extra = labels or {}
    out = []
    for key, value in data.items():
        if value in (None, "", [], {}):
            continue
        label = field_labels.get(key) or extra.get(key)
        if label is None:
            continue  # internal bookkeeping stays off the page
        if key in value_labels:
            value = value_labels[key].get(str(value), value)
        elif key.endswith("_at"):
            value = date_format(as_datetime(value), "Y-m-d H:i")
        elif isinstance(value, bool):
            value = gettext("Yes") if value else gettext("No")
        out.append((label, value))
    return out


@register.filter
def filesize(value: Any) -> str:
    """A byte count as KB / MB (units are the same in both languages)."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
