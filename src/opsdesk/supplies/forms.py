"""Forms of the store pages. The services judge the input; these forms type and render the fields (quick with
the keyboard: the first field focused, access keys, Enter saves) and carry the services' messages back."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Contract, Department, User
from opsdesk.core.forms import ServiceErrorsMixin
from opsdesk.incidents.forms import text_field

from .choices import MovementKind
from .models import StockLocation
from .selectors import store_contracts


def _contract_choices(user: User, empty: Any) -> list[tuple[str, str]]:
    return [("", str(empty)), *((c.code, str(c)) for c in store_contracts(visible_to=user))]


class NoNulMixin:
    def clean(self) -> dict[str, Any]:
        form: Any = self
        data = super().clean() or {}  # type: ignore[misc]
        for name, value in data.items():
            if isinstance(value, str) and "\x00" in value:
                form.add_error(name, _("Null characters are not allowed."))
        return data


class PartFilterForm(ServiceErrorsMixin, forms.Form):
    """Renders the spare-parts list filters; the selector (shared with the API) judges them."""

    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Code, name or model"), "data-shortcut": "search"}))
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    label = forms.CharField(label=_("Label"), required=False, max_length=30)
    location = forms.CharField(label=_("Location code"), required=False, max_length=60)
    below_min = forms.BooleanField(label=_("Below minimum only"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].widget.choices = _contract_choices(user, _("Any contract"))


class ConsumableFilterForm(ServiceErrorsMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Code, name, model or brand"), "data-shortcut": "search"}))
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    below_min = forms.BooleanField(label=_("Below minimum only"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].widget.choices = _contract_choices(user, _("Any contract"))


class MovementFilterForm(ServiceErrorsMixin, forms.Form):
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    kind = forms.CharField(label=_("Kind"), required=False, widget=forms.Select)
    ticket = forms.CharField(label=_("Ticket"), required=False, max_length=40)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].widget.choices = _contract_choices(user, _("Any contract"))
        self.fields["kind"].widget.choices = [("", _("Any kind")), *MovementKind.choices]


class LoanFilterForm(ServiceErrorsMixin, forms.Form):
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    state = forms.ChoiceField(label=_("State"), required=False, choices=[
        ("", _("All")), ("open", _("Not returned")), ("overdue", _("Overdue")), ("returned", _("Returned"))])

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].widget.choices = _contract_choices(user, _("Any contract"))


def _location_choices(locations: list[StockLocation], empty: Any) -> list[tuple[str, str]]:
    return [("", str(empty)), *((loc.code, f"{loc.code} {loc.name}") for loc in locations)]


class MovementForm(NoNulMixin, ServiceErrorsMixin, forms.Form):
    """One movement of a part: the kind first (access key K), then numbers and places; Enter saves."""

    kind = forms.ChoiceField(label=_("Kind"), choices=MovementKind.choices,
                             widget=forms.Select(attrs={"accesskey": "k", "autofocus": True}))
    quantity = forms.CharField(label=_("Quantity"), required=False, widget=forms.NumberInput(attrs={
        "min": 1, "inputmode": "numeric", "accesskey": "q"}))
    counted = forms.CharField(label=_("Counted (stock count)"), required=False, widget=forms.NumberInput(attrs={
        "min": 0, "inputmode": "numeric"}))
    location = forms.CharField(label=_("Location"), required=False, widget=forms.Select(attrs={"accesskey": "l"}))
    to_location = forms.CharField(label=_("To location (transfer)"), required=False, widget=forms.Select)
    reason = text_field(_("Reason"), max_length=500, required_hint=True, accesskey="r")
    ticket = text_field(_("Incident number"), max_length=40, placeholder="INC-20261123-0001", accesskey="t")

    def __init__(self, *args: Any, locations: list[StockLocation], preferred: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].widget.choices = _location_choices(locations, "—")
        self.fields["to_location"].widget.choices = _location_choices(locations, "—")
        if locations and not self.is_bound:
            self.initial.setdefault("location", preferred or locations[0].code)


def _department_choices(departments: list[Department]) -> list[tuple[str, str]]:
    return [("", "—"), *((str(d.pk), d.name) for d in departments)]


class IssueForm(NoNulMixin, ServiceErrorsMixin, forms.Form):
    """Issue (领用) to a department and person; the person by username or by name."""

    quantity = forms.CharField(label=_("Quantity"), widget=forms.NumberInput(attrs={
        "min": 1, "inputmode": "numeric", "accesskey": "q", "autofocus": True}))
    department = forms.CharField(label=_("Department"), required=False, widget=forms.Select(attrs={
        "accesskey": "d"}))
    person = text_field(_("Person (username)"), max_length=150)
    person_name = text_field(_("Person (name)"), max_length=100, accesskey="p")
    reason = text_field(_("Reason"), max_length=500)

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].widget.choices = _department_choices(departments)


class LoanForm(IssueForm):
    """Lend (借用) until a day."""

    due_on = forms.DateField(label=_("Due back on"), widget=forms.DateInput(attrs={"type": "date"}))


class ImportForm(forms.Form):
    contract = forms.CharField(label=_("Contract"), widget=forms.Select(attrs={"autofocus": True}))
    file = forms.FileField(label=_("Excel workbook (.xlsx)"), required=False)
    dry_run = forms.BooleanField(label=_("Dry run: check only, write nothing"), required=False, initial=True)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].widget.choices = _contract_choices(user, "—")


class StockReportForm(forms.Form):
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    month = forms.CharField(label=_("Month"), required=False, widget=forms.TextInput(attrs={
        "type": "month", "placeholder": "2026-11"}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].widget.choices = _contract_choices(user, "—")


class UsageForm(forms.Form):
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    by = forms.ChoiceField(label=_("Rank by"), required=False, choices=[
        ("department", _("Department")), ("person", _("Person"))])

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].widget.choices = _contract_choices(user, _("Any contract"))
        # named as the API's parameters (`from` cannot be a class attribute)
        self.fields["from"] = forms.CharField(label=_("From"), required=False,
                                              widget=forms.DateInput(attrs={"type": "date"}))
        self.fields["to"] = forms.CharField(label=_("To"), required=False,
                                            widget=forms.DateInput(attrs={"type": "date"}))


def contract_or_none(code: str, user: User) -> Contract | None:
    from opsdesk.core.errors import NotFound

    from .selectors import contract_for

    try:
        return contract_for(code=code, visible_to=user) if code.strip() else None
    except NotFound:
        return None
