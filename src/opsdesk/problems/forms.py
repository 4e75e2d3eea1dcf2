"""Forms of the problem pages. As for incidents, the services judge the input; these forms type and render
the fields and carry the services' messages back next to them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import contract_list
from opsdesk.core.forms import ServiceErrorsMixin
from opsdesk.incidents.choices import Level
from opsdesk.incidents.forms import CategoryChoiceField, text_field
from opsdesk.incidents.selectors import category_list

from .choices import ProblemStatus
from .models import SYSTEM_MAX, TITLE_MAX
from .selectors import investigator_contracts


class ProblemForm(ServiceErrorsMixin, forms.Form):
    """Open a problem: on a contract, or from incidents (their numbers; the contract is theirs)."""

    incidents = text_field(_("Incidents"), placeholder="INC-20261122-0001, INC-20261122-0002")
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    title = text_field(_("Title"), max_length=TITLE_MAX, required_hint=True, accesskey="t", autofocus=True)
    description = text_field(_("Description"), rows=4)
    level = forms.CharField(label=_("Level"), required=False, initial=str(Level.L3),
                            widget=forms.Select(choices=[(str(v), lbl) for v, lbl in Level.choices]))
    category = CategoryChoiceField(label=_("Category"), queryset=category_list(), required=False)
    affected_system = text_field(_("Affected system"), max_length=SYSTEM_MAX)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incidents"].help_text = _("Numbers of the incidents this problem comes from, separated by "
                                               "commas; leave empty for a problem on its own.")
        self.fields["contract"].widget.choices = [("", "—")] + [
            (c.code, str(c)) for c in investigator_contracts(user=user)]
        self.fields["category"].queryset = category_list()  # type: ignore[attr-defined]

    def incident_numbers(self) -> list[str]:
        raw = str(self.cleaned_data.get("incidents") or "")
        return [p.strip() for p in raw.replace("，", ",").replace(" ", ",").split(",") if p.strip()]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"title": data.get("title") or "", "description": data.get("description") or "",
                "category": data.get("category"), "affected_system": data.get("affected_system") or "",
                "level": data.get("level") or None}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, value in data.items():
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, _("Null characters are not allowed."))
        return data


class ProblemFilterForm(ServiceErrorsMixin, forms.Form):
    """Renders the list filters; ProblemFilters.parse (shared with the API) judges them."""

    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Number or words of the title"), "data-shortcut": "search"}))
    status = forms.CharField(label=_("Status"), required=False, widget=forms.Select)
    known_error = forms.CharField(label=_("Known error"), required=False, widget=forms.Select)
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.choices = [("", _("Any status")), ("open", _("Open (being worked)")),
                                                *ProblemStatus.choices]
        self.fields["known_error"].widget.choices = [("", _("Any")), ("true", _("Known errors only")),
                                                     ("false", _("Not a known error"))]
        self.fields["contract"].widget.choices = [("", _("Any contract")),
                                                  *((c.code, str(c)) for c in contract_list(visible_to=user))]


class LinkForm(ServiceErrorsMixin, forms.Form):
    """Link one more incident by its number."""

    incident = forms.CharField(label=_("Incident number"), required=False, widget=forms.TextInput(attrs={
        "placeholder": "INC-20261122-0001", "maxlength": 40}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_link_%s")
        super().__init__(*args, **kwargs)
