"""Forms of the CMDB pages. An item's form carries one field per attribute of its type (types are data), named
`attr_<name>`; the services check the values, the form only lays them out."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Contract, User
from opsdesk.core.forms import ServiceErrorsMixin

from .choices import AttributeKind, Importance, ItemStatus, RelationKind
from .models import KEY_MAX, NAME_MAX, CIType

ATTR_PREFIX = "attr_"


class ItemFilterForm(ServiceErrorsMixin, forms.Form):
    q = forms.CharField(label=_("Key or name"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"data-shortcut": "search", "type": "search"}))
    contract = forms.ChoiceField(label=_("Contract"), required=False)
    type = forms.ChoiceField(label=_("Type"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), *ItemStatus.choices])

    def __init__(self, *args: Any, contracts: list[Contract], types: list[CIType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [("", _("All")), *((c.code, f"{c.code} {c.name}") for c in contracts)]
        self.fields["type"].choices = [("", _("All")), *((t.code, t.name) for t in types)]


class ItemForm(ServiceErrorsMixin, forms.Form):
    """Create (contract and type chosen) or edit an item; `version` guards an edit against a stale page."""

    contract = forms.ChoiceField(label=_("Contract"))
    type = forms.ChoiceField(label=_("Type"))
    key = forms.CharField(label=_("Key"), max_length=KEY_MAX,
                          help_text=_("Unique on the contract: host name, asset tag, system code."))
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    status = forms.ChoiceField(label=_("Status"), choices=ItemStatus.choices, initial=ItemStatus.ACTIVE)
    importance = forms.TypedChoiceField(label=_("Importance"), choices=Importance.choices, coerce=int,
                                        initial=Importance.MEDIUM)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    location = forms.CharField(label=_("Location"), max_length=NAME_MAX, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, contracts: list[Contract], types: list[CIType], ci_type: CIType | None,
                 owners: list[User], editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ci_type = ci_type
        self.fields["contract"].choices = [(c.code, f"{c.code} {c.name}") for c in contracts]
        self.fields["type"].choices = [("", "—"), *((t.code, t.name) for t in types)]
        self.fields["owner"].choices = [("", "—"), *((u.username, u.display_name) for u in owners)]
        self._owners = {u.username: u for u in owners}
        if editing:
            for name in ("contract", "type", "key"):
                self.fields[name].disabled = True
                self.fields[name].required = False
        for spec in (ci_type.attributes if ci_type else []):
            self.fields[ATTR_PREFIX + spec["name"]] = _attribute_field(spec)

    def chosen_owner(self) -> User | None:
        """The chosen owner (one of the contract's people the list offered), or None."""
        return self._owners.get(self.cleaned_data.get("owner") or "")

    def attribute_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith(ATTR_PREFIX)]

    def attribute_values(self) -> dict[str, Any]:
        return {name[len(ATTR_PREFIX):]: value for name, value in self.cleaned_data.items()
                if name.startswith(ATTR_PREFIX)}

    def apply_service_errors(self, exc: Any) -> None:
        for name, message in exc.fields.items():
            field = ATTR_PREFIX + name.removeprefix("attributes.") if name.startswith("attributes.") else name
            self.add_error(field if field in self.fields else None, message)
        if not exc.fields:
            self.add_error(None, exc.message)


def _attribute_field(spec: dict[str, Any]) -> forms.Field:
    """A text box for every kind (the service parses and checks the value), a list for a choice."""
    label = spec.get("label") or spec["name"]
    if spec.get("kind") == AttributeKind.CHOICE:
        return forms.ChoiceField(label=label, required=False,
                                 choices=[("", "—"), *((c, c) for c in spec.get("choices", []))])
    hints = {AttributeKind.DATE: _("A date like 2026-11-23."), AttributeKind.INTEGER: _("A whole number."),
             AttributeKind.DECIMAL: _("A number."), AttributeKind.BOOL: _("Yes (是) or no (否).")}
    widget = forms.TextInput(attrs={"type": "date"}) if spec.get("kind") == AttributeKind.DATE else None
    field = forms.CharField(label=label, required=False, max_length=2000, help_text=hints.get(spec.get("kind"), ""),
                            widget=widget)
    if spec.get("required"):
        field.widget.attrs["required"] = True
    return field


class RelationForm(ServiceErrorsMixin, forms.Form):
    """Relate the page's item to another, by the other's key: "this —kind→ other" or "other —kind→ this"."""

    DIRECTIONS = [("out", _("this item → the other")), ("in", _("the other → this item"))]

    kind = forms.ChoiceField(label=_("Relationship"), choices=RelationKind.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=DIRECTIONS, initial="out")
    other = forms.CharField(label=_("Other item (key)"), max_length=KEY_MAX)


class LinkItemForm(ServiceErrorsMixin, forms.Form):
    item = forms.CharField(label=_("Configuration item (key)"), max_length=KEY_MAX)


class ImportForm(ServiceErrorsMixin, forms.Form):
    file = forms.FileField(label=_("Excel workbook (.xlsx)"))
    dry_run = forms.BooleanField(label=_("Dry run: check every row, write nothing"), required=False, initial=True)


class AuditForm(ServiceErrorsMixin, forms.Form):
    contract = forms.ChoiceField(label=_("Contract"))
    file = forms.FileField(label=_("Inventory (.xlsx)"),
                           help_text=_("A key column and any of type, name, status, location and attribute "
                                       "columns: an export of the list filled in on site will do."))
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args: Any, contracts: list[Contract], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [(c.code, f"{c.code} {c.name}") for c in contracts]


class TypeForm(ServiceErrorsMixin, forms.Form):
    """A type and its attributes, one attribute a line: `name | label | kind | required | option, option`."""

    code = forms.SlugField(label=_("Code"), max_length=50,
                           help_text=_("Lower-case letters, digits, - and _; it cannot change later."))
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    attributes = forms.CharField(
        label=_("Attributes"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One a line: name | label | kind (text, integer, decimal, date, bool, choice) | required "
                    "(yes or empty) | options of a choice, separated by commas. Example: os | 操作系统 | choice | "
                    "yes | 麒麟, 统信, Windows"))
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].required = False

    @staticmethod
    def lines_of(definitions: list[dict[str, Any]]) -> str:
        return "\n".join(" | ".join([d["name"], d.get("label", ""), d.get("kind", "text"),
                                     "yes" if d.get("required") else "", ", ".join(d.get("choices", []))]).rstrip(" |")
                         for d in definitions)

    def definitions(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for line in str(self.cleaned_data.get("attributes") or "").splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")] + [""] * 5
            out.append({"name": parts[0], "label": parts[1] or parts[0], "kind": parts[2] or "text",
                        "required": parts[3].lower() in ("yes", "y", "true", "1", "是", "必填"),
                        "choices": [c.strip() for c in parts[4].replace("，", ",").split(",") if c.strip()]})
        return out

    def apply_service_errors(self, exc: Any) -> None:
        """`attributes.3.kind` becomes "Line 4: …" under the attributes box."""
        for field, message in exc.fields.items():
            if field.startswith("attributes."):
                index = field.split(".")[1]
                line = int(index) + 1 if index.isdigit() else None
                self.add_error("attributes", _("Line %(n)d: %(message)s") % {"n": line, "message": message}
                               if line else message)
            else:
                self.add_error(field if field in self.fields else None, message)
        if not exc.fields:
            self.add_error(None, exc.message)
