"""Forms of the asset pages. The services judge the input; these forms type and render the fields and carry
the services' messages back next to them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Department, User
from opsdesk.accounts.selectors import contract_list
from opsdesk.cmdb.choices import Importance
from opsdesk.core.forms import ServiceErrorsMixin

from .choices import AssetCategory, AssetStatus, CheckResult
from .models import NAME_MAX, TAG_MAX


def _text(label: Any, *, max_length: int = NAME_MAX, rows: int = 0, required: bool = False, **attrs: Any
          ) -> forms.CharField:
    widget_attrs = {"maxlength": max_length, **({"required": True} if required else {}), **attrs}
    widget = forms.Textarea(attrs={**widget_attrs, "rows": rows}) if rows else forms.TextInput(attrs=widget_attrs)
    return forms.CharField(label=label, required=False, widget=widget)


def _date(label: Any, *, required: bool = False) -> forms.CharField:
    return forms.CharField(label=label, required=False,
                           widget=forms.DateInput(attrs={"type": "date", **({"required": True} if required else {})}))


class ContractChoiceMixin:
    """A `contract` select of the contracts where the user holds one of `roles`."""

    def set_contracts(self, user: User, roles: frozenset[str]) -> None:
        form: Any = self
        contracts = list(contract_list(visible_to=user, role_in=roles))
        form.fields["contract"].widget.choices = [("", "—")] + [(c.code, str(c)) for c in contracts]
        if len(contracts) == 1 and not form.is_bound and not form.initial.get("contract"):
            form.initial["contract"] = contracts[0].code


def department_choices(user: User, roles: frozenset[str]) -> list[tuple[str, str]]:
    contracts = list(contract_list(visible_to=user, role_in=roles))
    org_ids = {c.organisation_id for c in contracts}
    rows = Department.objects.filter(organisation_id__in=org_ids).select_related("organisation").order_by(
        "organisation__name", "name")
    return [("", "—")] + [(str(d.pk), f"{d.organisation.name} / {d.name}") for d in rows]


class AssetForm(ContractChoiceMixin, ServiceErrorsMixin, forms.Form):
    """Put an asset on a contract's register."""

    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select(attrs={"accesskey": "c"}))
    asset_tag = _text(_("Asset tag"), max_length=TAG_MAX, required=True, autofocus=True)
    name = _text(_("Name"), required=True)
    category = forms.ChoiceField(label=_("Asset category"), choices=AssetCategory.choices,
                                 initial=AssetCategory.PHYSICAL)
    model = _text(_("Model / specification"))
    serial_number = _text(_("Serial number"), max_length=100)
    department = forms.CharField(label=_("Owner department"), required=False, widget=forms.Select)
    custodian = _text(_("Custodian (username)"), max_length=150)
    importance = forms.TypedChoiceField(label=_("Importance"), choices=Importance.choices, coerce=int,
                                        initial=Importance.MEDIUM)
    location = _text(_("Location"))
    vendor = _text(_("Supplier"))
    purchase_date = _date(_("Purchase date"))
    price = _text(_("Price (yuan)"), max_length=20, inputmode="decimal")
    warranty_end = _date(_("Warranty ends"))
    status = forms.ChoiceField(label=_("Status"), initial=AssetStatus.IN_USE,
                               choices=[(AssetStatus.IN_USE, AssetStatus.IN_USE.label),
                                        (AssetStatus.IN_STOCK, AssetStatus.IN_STOCK.label)])

    def __init__(self, *args: Any, user: User, roles: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_contracts(user, roles)
        self.fields["department"].widget.choices = department_choices(user, roles)


class AssetFilterForm(ServiceErrorsMixin, forms.Form):
    """Renders the list filters; AssetFilters.parse (shared with the API and the export) judges them."""

    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Asset tag, serial number or name"), "data-shortcut": "search"}))
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    category = forms.CharField(label=_("Asset category"), required=False, widget=forms.Select)
    status = forms.CharField(label=_("Status"), required=False, widget=forms.Select)
    department = forms.CharField(label=_("Owner department"), required=False, widget=forms.Select)

    def __init__(self, *args: Any, user: User, roles: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].widget.choices = [("", _("Any contract")),
                                                  *((c.code, str(c)) for c in contract_list(visible_to=user))]
        self.fields["category"].widget.choices = [("", _("Any asset category")), *AssetCategory.choices]
        self.fields["status"].widget.choices = [("", _("Any status")), *AssetStatus.choices]
        self.fields["department"].widget.choices = [("", _("Any department")),
                                                    *department_choices(user, roles)[1:]]


class ProcedureFilterForm(ServiceErrorsMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Number, asset tag or name"), "data-shortcut": "search"}))
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    status = forms.CharField(label=_("Status"), required=False, widget=forms.Select)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, user: User, states: list[tuple[str, Any]], overdue: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].widget.choices = [("", _("Any contract")),
                                                  *((c.code, str(c)) for c in contract_list(visible_to=user))]
        self.fields["status"].widget.choices = [("", _("Any status")), *states]
        if not overdue:
            del self.fields["overdue"]


class AcquisitionForm(ContractChoiceMixin, ServiceErrorsMixin, forms.Form):
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select(attrs={"accesskey": "c"}))
    item_name = _text(_("Item"), required=True, autofocus=True)
    category = forms.ChoiceField(label=_("Asset category"), choices=AssetCategory.choices,
                                 initial=AssetCategory.PHYSICAL)
    specification = _text(_("Model / specification"))
    reason = _text(_("Reason"), max_length=2000, rows=3, required=True)
    estimated_price = _text(_("Estimated price (yuan)"), max_length=20, inputmode="decimal")
    department = forms.CharField(label=_("For department"), required=False, widget=forms.Select)

    def __init__(self, *args: Any, user: User, roles: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_contracts(user, roles)
        self.fields["department"].widget.choices = department_choices(user, roles)


class AssetRefForm(ContractChoiceMixin, ServiceErrorsMixin, forms.Form):
    """A request about one asset, named by its contract and the tag on it."""

    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select(attrs={"accesskey": "c"}))
    asset_tag = _text(_("Asset tag"), max_length=TAG_MAX, required=True, autofocus=True)

    def __init__(self, *args: Any, user: User, roles: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_contracts(user, roles)


class TakeOutForm(AssetRefForm):
    reason = _text(_("Reason"), max_length=2000, rows=3, required=True)
    destination = _text(_("Destination"), required=True)
    expected_return = _date(_("Expected back on"), required=True)


class RepairForm(AssetRefForm):
    fault = _text(_("Fault"), max_length=2000, rows=3, required=True)


class ScrapForm(AssetRefForm):
    reason = _text(_("Why it cannot be repaired"), max_length=2000, rows=3, required=True)


class CheckCreateForm(ContractChoiceMixin, ServiceErrorsMixin, forms.Form):
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    month = forms.CharField(label=_("Month"), required=False, widget=forms.DateInput(attrs={"type": "month",
                                                                                            "required": True}))

    def __init__(self, *args: Any, user: User, roles: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_contracts(user, roles)


# Results with a digit first: in a focused select, typing 1-4 picks the result (quick keyboard entry).
def result_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(value, f"{i} {label}") for i, (value, label) in enumerate(CheckResult.choices, 1)]


class ImportForm(ServiceErrorsMixin, forms.Form):
    file = forms.FileField(label=_("Excel workbook (.xlsx)"), required=False)
    dry_run = forms.BooleanField(label=_("Dry run: only check, write nothing"), required=False, initial=True)


class AssetEditForm(ServiceErrorsMixin, forms.Form):
    """Change an asset's fields; its `version` travels with the form (a stale one is refused)."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = _text(_("Name"), required=True, autofocus=True)
    category = forms.ChoiceField(label=_("Asset category"), choices=AssetCategory.choices)
    model = _text(_("Model / specification"))
    serial_number = _text(_("Serial number"), max_length=100)
    department = forms.CharField(label=_("Owner department"), required=False, widget=forms.Select)
    custodian = _text(_("Custodian (username)"), max_length=150)
    importance = forms.TypedChoiceField(label=_("Importance"), choices=Importance.choices, coerce=int)
    location = _text(_("Location"))
    vendor = _text(_("Supplier"))
    purchase_date = _date(_("Purchase date"))
    price = _text(_("Price (yuan)"), max_length=20, inputmode="decimal")
    warranty_end = _date(_("Warranty ends"))
    status = forms.ChoiceField(label=_("Status"), choices=AssetStatus.choices)

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].widget.choices = [("", "—")] + [(str(d.pk), d.name) for d in departments]
