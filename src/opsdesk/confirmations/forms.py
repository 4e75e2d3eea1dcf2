"""Forms of the confirmation pages: submitting an item, compiling a monthly report, answering an item."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.core.forms import ServiceErrorsMixin

from .choices import AnswerResult, ConfirmationKind
from .models import TITLE_MAX


class ConfirmationForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ConfirmationKind.choices, widget=forms.RadioSelect,
                             initial=ConfirmationKind.BUG)
    contract = forms.ChoiceField(label=_("Contract"), required=False)
    problem = forms.CharField(label=_("Problem number"), required=False, max_length=40)
    incident = forms.CharField(label=_("Incident number"), required=False, max_length=40)
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX, widget=forms.TextInput(attrs={"autofocus": True}))
    description = forms.CharField(label=_("Description (problem record)"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 5}))
    affected_system = forms.CharField(label=_("Affected system"), required=False, max_length=TITLE_MAX)

    def __init__(self, *args: Any, contracts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = [(c.code, f"{c.code} {c.name}") for c in contracts]
        cast(forms.ChoiceField, self.fields["contract"]).choices = [("", "—"), *options]


class MonthlyReportForm(ServiceErrorsMixin, forms.Form):
    contract = forms.ChoiceField(label=_("Contract"))
    month = forms.CharField(label=_("Month"), widget=forms.DateInput(attrs={"type": "month"}))

    def __init__(self, *args: Any, contracts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["contract"]).choices = [(c.code, f"{c.code} {c.name}") for c in contracts]

    def clean_month(self) -> dt.date:
        value = str(self.cleaned_data.get("month") or "").strip()
        try:
            return dt.datetime.strptime(value[:7], "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Give the month as YYYY-MM.")) from None


class AnswerForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 2}), max_length=10000)
    result = forms.ChoiceField(label=_("Result"), choices=AnswerResult.choices)
