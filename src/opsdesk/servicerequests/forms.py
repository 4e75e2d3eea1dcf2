"""Forms of the service request pages. The services judge the input; these forms type and render the fields
and carry the services' messages back next to them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import contract_list
from opsdesk.core.forms import ServiceErrorsMixin
from opsdesk.incidents.forms import text_field

from .choices import RequestKind, RequestStatus
from .models import SYSTEM_MAX, TITLE_MAX
from .selectors import creator_contracts


class RequestForm(ServiceErrorsMixin, forms.Form):
    """Open a service request of a kind chosen first (the kind travels as a hidden field)."""

    kind = forms.CharField(required=False, widget=forms.HiddenInput)
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select(attrs={"accesskey": "c"}))
    title = text_field(_("Title"), max_length=TITLE_MAX, required_hint=True, accesskey="t", autofocus=True)
    description = text_field(_("Description"), rows=4)
    requester = forms.CharField(label=_("Requester"), required=False, widget=forms.TextInput(attrs={
        "placeholder": _("Username of the client person; empty: yourself (client) or nobody (staff)"),
        "maxlength": 150}))
    affected_system = text_field(_("Affected system"), max_length=SYSTEM_MAX)
    incident = text_field(_("Linked incident"), max_length=40, placeholder="INC-20261123-0001")
    problem = text_field(_("Linked problem"), max_length=40, placeholder="PRB-20261123-0001")
    desired_date = forms.CharField(label=_("Desired date"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contracts = list(creator_contracts(user=user))
        self.fields["contract"].widget.choices = [("", "—")] + [(c.code, str(c)) for c in contracts]
        if len(contracts) == 1 and not self.is_bound and not self.initial.get("contract"):
            self.initial["contract"] = contracts[0].code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, value in data.items():
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, _("Null characters are not allowed."))
        return data


class RequestFilterForm(ServiceErrorsMixin, forms.Form):
    """Renders the list filters; RequestFilters.parse (shared with the API) judges them."""

    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Number or words of the title"), "data-shortcut": "search"}))
    kind = forms.CharField(label=_("Kind"), required=False, widget=forms.Select)
    status = forms.CharField(label=_("Status"), required=False, widget=forms.Select)
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    handler = forms.CharField(label=_("Handler"), required=False, widget=forms.Select)
    mine = forms.BooleanField(label=_("Mine only"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.choices = [("", _("Any kind")), *RequestKind.choices]
        self.fields["status"].widget.choices = [("", _("Any status")), ("open", _("Open (being worked)")),
                                                *RequestStatus.choices]
        self.fields["contract"].widget.choices = [("", _("Any contract")),
                                                  *((c.code, str(c)) for c in contract_list(visible_to=user))]
        self.fields["handler"].widget.choices = [("", _("Anyone")), ("me", _("Me")), ("none", _("Not dispatched"))]
