"""Forms of the SLA pages. Lenient like the incident forms: the services judge the input and their
ValidationError messages come back next to the fields (targets by their grid cell)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.calendars.models import Calendar
from opsdesk.incidents.choices import HoldReason, Level
from opsdesk.incidents.forms import ServiceErrorsMixin
from opsdesk.incidents.models import IncidentCategory

from .choices import Metric, OnSiteFrom, Preset, Tier, TimeBasis
from .models import SlaPolicy, SlaTarget

OVERRIDE_ROWS_EXTRA = 3
NUMBER = {"inputmode": "numeric", "class": "form-control form-control-sm", "size": 6}


def _int_or_raw(value: Any) -> Any:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() else text


class PolicyCreateForm(ServiceErrorsMixin, forms.Form):
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices, initial=Tier.STANDARD)
    preset = forms.ChoiceField(label=_("Start from"), choices=Preset.choices, initial=Preset.VENDOR)

    def __init__(self, *args: Any, contracts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].widget.choices = [(c.code, str(c)) for c in contracts]


class PolicyForm(ServiceErrorsMixin, forms.Form):
    """A policy's settings, its target grid (level × metric) and its catalogue-item overrides."""

    name = forms.CharField(label=_("Name"), required=False, widget=forms.TextInput(attrs={"maxlength": 100}))
    pause_reasons = forms.MultipleChoiceField(label=_("Hold reasons that pause the clocks"), required=False,
                                              choices=HoldReason.choices, widget=forms.CheckboxSelectMultiple)
    on_site_from = forms.ChoiceField(label=_("On-site clock counts"), choices=OnSiteFrom.choices)
    escalate_3_to_2_minutes = forms.CharField(label=_("Level 3 becomes level 2 after (minutes)"), required=False)
    escalate_2_to_1_minutes = forms.CharField(label=_("Level 2 becomes level 1 after (minutes)"), required=False)
    escalation_basis = forms.ChoiceField(label=_("Escalation counts"), choices=TimeBasis.choices)
    recurrence_count = forms.CharField(label=_("Recurring fault: occurrences"), required=False)
    recurrence_days = forms.CharField(label=_("Recurring fault: within days"), required=False)
    response_very_satisfied_minutes = forms.CharField(label=_("Very satisfied up to (min)"), required=False)
    response_satisfied_minutes = forms.CharField(label=_("Satisfied up to (min)"), required=False)
    response_pass_minutes = forms.CharField(label=_("Pass up to (min)"), required=False)
    resolution_very_satisfied_minutes = forms.CharField(label=_("Very satisfied up to (min)"), required=False)
    resolution_satisfied_minutes = forms.CharField(label=_("Satisfied up to (min)"), required=False)
    resolution_pass_minutes = forms.CharField(label=_("Pass up to (min)"), required=False)
    reapply = forms.BooleanField(label=_("Re-apply to running tickets"), required=False,
                                 help_text=_("Otherwise the change applies to tickets logged from now on. Running "
                                             "tickets keep the time they have already spent."))

    SETTINGS = ("name", "pause_reasons", "on_site_from", "escalate_3_to_2_minutes", "escalate_2_to_1_minutes",
                "escalation_basis", "recurrence_count", "recurrence_days", "response_very_satisfied_minutes",
                "response_satisfied_minutes", "response_pass_minutes", "resolution_very_satisfied_minutes",
                "resolution_satisfied_minutes", "resolution_pass_minutes")

    def __init__(self, *args: Any, policy: SlaPolicy, targets: list[SlaTarget], **kwargs: Any) -> None:
        initial = {name: getattr(policy, name) for name in self.SETTINGS}
        general = {(t.level, t.metric): t for t in targets if t.category_id is None}
        overrides = [t for t in targets if t.category_id is not None]
        calendar_choices = [("", "—"), *((str(c.pk), str(c)) for c in Calendar.objects.filter(is_active=True))]
        category_choices = [("", "—"), *((str(c.pk), str(c)) for c in
                                         IncidentCategory.objects.filter(is_active=True).select_related("parent"))]
        self.grid: list[dict[str, Any]] = []
        self.override_rows: list[dict[str, Any]] = []
        for level in Level.values:
            for metric in Metric.values:
                t = general.get((level, metric))
                initial[f"t_{level}_{metric}_minutes"] = t.minutes if t else ""
                initial[f"t_{level}_{metric}_calendar"] = str(t.calendar_id) if t else ""
        for i, t in enumerate(overrides):
            initial.update({f"o{i}_category": str(t.category_id), f"o{i}_level": str(t.level),
                            f"o{i}_metric": t.metric, f"o{i}_minutes": t.minutes,
                            f"o{i}_calendar": str(t.calendar_id)})
        rows = len(overrides) + OVERRIDE_ROWS_EXTRA
        if args and args[0] is not None:  # bound: as many override rows as were posted
            rows = max(rows, sum(1 for key in args[0] if key.endswith("_category") and key.startswith("o")))
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for level in Level.values:
            cells = []
            for metric in Metric.values:
                minutes = f"t_{level}_{metric}_minutes"
                calendar = f"t_{level}_{metric}_calendar"
                self.fields[minutes] = forms.CharField(required=False, label=_("Minutes"),
                                                       widget=forms.TextInput(attrs=NUMBER))
                self.fields[calendar] = forms.CharField(required=False, label=_("Calendar"), widget=forms.Select(
                    choices=calendar_choices, attrs={"class": "form-select form-select-sm"}))
                cells.append({"metric": metric, "minutes": self[minutes], "calendar": self[calendar]})
            self.grid.append({"level": level, "label": Level(level).label, "cells": cells})
        for i in range(rows):
            names = {part: f"o{i}_{part}" for part in ("category", "level", "metric", "minutes", "calendar")}
            self.fields[names["category"]] = forms.CharField(required=False, label=_("Service-catalogue item"),
                                                             widget=forms.Select(choices=category_choices))
            self.fields[names["level"]] = forms.CharField(required=False, label=_("Level"), widget=forms.Select(
                choices=[("", "—"), *((str(v), str(v)) for v in Level.values)]))
            self.fields[names["metric"]] = forms.CharField(required=False, label=_("Metric"), widget=forms.Select(
                choices=[("", "—"), *Metric.choices]))
            self.fields[names["minutes"]] = forms.CharField(required=False, label=_("Minutes"),
                                                            widget=forms.TextInput(attrs=NUMBER))
            self.fields[names["calendar"]] = forms.CharField(required=False, label=_("Calendar"),
                                                             widget=forms.Select(choices=calendar_choices))
            self.override_rows.append({k: self[v] for k, v in names.items()})

    def settings_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.SETTINGS}

    def targets_data(self) -> list[dict[str, Any]]:
        """Every filled cell and override row as the service takes them, each naming its form field."""
        data = self.cleaned_data
        out: list[dict[str, Any]] = []
        for level in Level.values:
            for metric in Metric.values:
                minutes = data.get(f"t_{level}_{metric}_minutes") or ""
                calendar = data.get(f"t_{level}_{metric}_calendar") or ""
                if not str(minutes).strip() and not calendar:
                    continue
                out.append({"level": level, "metric": metric, "category": None, "minutes": _int_or_raw(minutes),
                            "calendar": _int_or_raw(calendar), "field": f"t_{level}_{metric}_minutes"})
        for i, row in enumerate(self.override_rows):
            values = {part: data.get(bound.name) or "" for part, bound in row.items()}
            if not any(str(v).strip() for v in values.values()):
                continue
            out.append({"level": _int_or_raw(values["level"]), "metric": values["metric"],
                        "category": _int_or_raw(values["category"]) if values["category"] else None,
                        "minutes": _int_or_raw(values["minutes"]), "calendar": _int_or_raw(values["calendar"]),
                        "field": f"o{i}_minutes"})
        return out
