"""Forms of the calendar administration pages.

As on the incident pages, the services judge the input; these forms type it, parse the few things only a
form sees (periods typed as "09:00-12:00, 13:30-17:30"), and carry the services' messages back to the fields.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.core.errors import ValidationError

from .arrangements import ArrangementErrors
from .choices import ArrangementSource, CalendarKind, OverrideKind, Weekday
from .engine import MINUTES_PER_DAY, Period
from .models import NAME_MAX, Calendar, minutes_label

_PERIOD = re.compile(r"^(\d{1,2})[:：](\d{2})\s*(?:-|–|—|~|～|至)\s*(\d{1,2})[:：](\d{2})$")
_PERIOD_SEPARATORS = re.compile(r"\s*[,，;；、]\s*|\s{2,}")


class ServiceErrorsMixin:
    """Puts a service's ValidationError.fields next to the form's fields (unknown names: on top)."""

    def apply_service_errors(self, exc: ValidationError) -> None:
        form: Any = self
        if isinstance(exc, ArrangementErrors):
            form.line_errors = exc.lines
            form.add_error(None, exc.message)
            return
        if not exc.fields:
            form.add_error(None, exc.message)
        for name, message in exc.fields.items():
            form.add_error(name if name in form.fields else None, message)


def parse_periods(text: str) -> list[Period]:
    """"09:00-12:00, 13:30-17:30" → [(540, 720), (810, 1050)]; "" → []; ValueError with the reason."""
    text = (text or "").strip()
    if not text or text in ("-", "—", "休", "closed"):
        return []
    out: list[Period] = []
    for part in _PERIOD_SEPARATORS.split(text):
        if not part:
            continue
        m = _PERIOD.match(part.strip())
        if not m:
            raise ValueError(_("“%(value)s” is not a period: write 09:00-12:00, several separated by commas.")
                             % {"value": part[:30]})
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if m1 > 59 or m2 > 59 or h1 > 24 or h2 > 24:
            raise ValueError(_("“%(value)s” is not a time of day.") % {"value": part[:30]})
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start >= end or end > MINUTES_PER_DAY:
            raise ValueError(_("%(value)s: the end must be after the start, at 24:00 at the latest.")
                             % {"value": part[:30]})
        out.append((start, end))
    return out


def periods_text(periods: list[Period] | tuple[Period, ...]) -> str:
    return ", ".join(f"{minutes_label(a)}-{minutes_label(b)}" for a, b in periods)


class ScheduleForm(ServiceErrorsMixin, forms.Form):
    """A calendar's name, weekly periods (one text box per weekday) and holiday rules."""

    name = forms.CharField(label=gettext_lazy("Name"), required=False,
                           widget=forms.TextInput(attrs={"maxlength": NAME_MAX, "required": True}))
    description = forms.CharField(label=gettext_lazy("About this calendar"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    follows_statutory_holidays = forms.BooleanField(
        label=gettext_lazy("Follows China's statutory holidays and adjusted working days"), required=False)
    adjusted_day_weekday = forms.TypedChoiceField(
        label=gettext_lazy("Adjusted and extra working days have the hours of"), choices=Weekday.choices,
        coerce=int, required=False)
    revision = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, calendar: Calendar, week: list[list[Period]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calendar = calendar
        self.always = calendar.kind == CalendarKind.ALWAYS
        for weekday, label in Weekday.choices:
            self.fields[f"day_{weekday}"] = forms.CharField(
                label=label, required=False, widget=forms.TextInput(attrs={
                    "placeholder": _("closed"), "autocomplete": "off", "spellcheck": "false"}),
                help_text=_("For example 09:00-12:00, 13:30-17:30; empty: closed.") if weekday == 0 else "")
        if not self.is_bound:
            self.initial.update(name=calendar.name, description=calendar.description,
                                follows_statutory_holidays=calendar.follows_statutory_holidays,
                                adjusted_day_weekday=calendar.adjusted_day_weekday, revision=calendar.revision)
            for weekday, periods in enumerate(week or []):
                self.initial[f"day_{weekday}"] = periods_text(periods)
        if self.always:
            for weekday in range(7):
                del self.fields[f"day_{weekday}"]
            del self.fields["follows_statutory_holidays"]
            del self.fields["adjusted_day_weekday"]

    def day_fields(self) -> list[forms.BoundField]:
        return [self[f"day_{d}"] for d in range(7) if f"day_{d}" in self.fields]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.always:
            return cleaned
        week: list[list[Period]] = []
        for weekday in range(7):
            try:
                week.append(parse_periods(cleaned.get(f"day_{weekday}") or ""))
            except ValueError as exc:
                self.add_error(f"day_{weekday}", str(exc))
                week.append([])
        cleaned["week"] = week
        return cleaned

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {"name": data.get("name", ""), "description": data.get("description", ""),
                               "revision": data.get("revision")}
        if not self.always:
            out.update(week=data["week"], follows_statutory_holidays=bool(data.get("follows_statutory_holidays")),
                       adjusted_day_weekday=data.get("adjusted_day_weekday"))
        return out


class OverrideForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=OverrideKind.choices, required=False)
    start_date = forms.CharField(label=gettext_lazy("From"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date", "required": True}))
    end_date = forms.CharField(label=gettext_lazy("To (empty: one day)"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=gettext_lazy("Reason"), required=False,
                           widget=forms.TextInput(attrs={"maxlength": NAME_MAX, "required": True,
                                                         "placeholder": gettext_lazy("e.g. 两会重保期")}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_override_%s")
        super().__init__(*args, **kwargs)


class CalendarCreateForm(ServiceErrorsMixin, forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), required=False, widget=forms.TextInput(attrs={
        "maxlength": 40, "required": True, "placeholder": "gov-5x8"}))
    name = forms.CharField(label=gettext_lazy("Name"), required=False,
                           widget=forms.TextInput(attrs={"maxlength": NAME_MAX, "required": True}))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False, initial=CalendarKind.WORKING_HOURS,
                             choices=[(CalendarKind.WORKING_HOURS, gettext_lazy(
                                 "Working hours (starts as 5x8; edit the periods next)")),
                                 (CalendarKind.ALWAYS, CalendarKind.ALWAYS.label)])
    follows_statutory_holidays = forms.BooleanField(
        label=gettext_lazy("Follows China's statutory holidays and adjusted working days"), required=False,
        initial=True)


class YearLoadForm(ServiceErrorsMixin, forms.Form):
    """Load a year's arrangement: from the package, typed lines or a file; previewed before it is applied."""

    year = forms.CharField(label=gettext_lazy("Year"), required=False, widget=forms.TextInput(attrs={
        "inputmode": "numeric", "maxlength": 4, "required": True, "size": 6}))
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=ArrangementSource.choices, required=False,
                               initial=ArrangementSource.ENTERED,
                               widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    lines = forms.CharField(label=gettext_lazy("Days of the notice"), required=False, strip=False,
                            widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false",
                                                         "placeholder": "2027-01-01,holiday,元旦\n"
                                                                        "2027-02-05~2027-02-11,休,春节\n"
                                                                        "2027-02-14,班,春节"}),
                            help_text=gettext_lazy("One day or range per line: date,kind,name. Kind: holiday (休) "
                                                   "or workday (班, an adjusted working day)."))
    file = forms.FileField(label=gettext_lazy("File (CSV or text, same format)"), required=False)
    notice = forms.CharField(label=gettext_lazy("Notice text (for reference)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
    fingerprint = forms.CharField(required=False, widget=forms.HiddenInput)
    source_detail = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_errors: list[tuple[int, str]] = []
