"""The requester's own form for reporting a problem: fewer fields than the agent's, channel always portal."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import contract_list
from opsdesk.incidents.choices import Channel, Level
from opsdesk.incidents.forms import CategoryChoiceField, ServiceErrorsMixin, text_field
from opsdesk.incidents.models import TITLE_MAX
from opsdesk.incidents.selectors import category_list
from opsdesk.incidents.services import MAX_SUBMIT_FILES, RATING_COMMENT_MAX

# The contracts a client person may report on: where they are a requester or their organisation's contact.
REPORTER_ROLES = frozenset({Role.REQUESTER, Role.CLIENT_CONTACT})


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service (incident_create_with_attachments) judges them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = data if isinstance(data, list | tuple) else [data]
        return [item for item in items if item]


class PortalIncidentForm(ServiceErrorsMixin, forms.Form):
    """Report a problem for oneself; the service checks the contract is one's own."""

    contract = forms.CharField(label=_("Service contract"), required=False, widget=forms.Select)
    title = text_field(_("What is wrong? (short title)"), max_length=TITLE_MAX, required_hint=True)
    level = forms.CharField(label=_("How bad is it?"), required=False, initial=str(Level.L4),
                            widget=forms.RadioSelect(choices=Level.choices))
    description = text_field(_("Description"), rows=4)
    error_message = text_field(_("Error message shown, if any"), rows=2)
    affected_system = text_field(_("Affected system"), max_length=200)
    contact_phone = text_field(_("Phone number to call you back"), max_length=40)
    category = CategoryChoiceField(label=_("What is it about?"), queryset=category_list(), required=False,
                                   empty_label=_("I don't know"))
    attachments = MultipleFileField(
        label=_("Screenshots or files"), required=False,
        help_text=_("Optional. Up to %(n)d files; a photo of the error message helps.") % {"n": MAX_SUBMIT_FILES})

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.contracts: list[Contract] = list(contract_list(visible_to=user, role_in=REPORTER_ROLES))
        self.fields["contract"].widget.choices = [(c.code, str(c)) for c in self.contracts]
        self.fields["category"].queryset = category_list()
        if self.contracts:
            self.fields["contract"].initial = self.contracts[0].code
        if not self.is_bound and user.phone:
            self.fields["contact_phone"].initial = user.phone

    def clean_contract(self) -> Contract | None:
        code = self.cleaned_data.get("contract") or ""
        return next((c for c in self.contracts if c.code == code), None)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "contract": data.get("contract"), "requester": self.user, "title": data.get("title", ""),
            "description": data.get("description", ""), "error_message": data.get("error_message", ""),
            "affected_system": data.get("affected_system", ""), "contact_phone": data.get("contact_phone", ""),
            "level": data.get("level"), "channel": Channel.PORTAL, "category": data.get("category"),
            "attachments": data.get("attachments") or [],
        }


class RatingForm(ServiceErrorsMixin, forms.Form):
    """Rate the service of a finished incident: 1 to 5 stars and an optional comment."""

    score = forms.CharField(label=_("How satisfied are you with how this was handled?"), required=False,
                            widget=forms.RadioSelect(choices=[
                                ("5", _("5 – very satisfied")), ("4", _("4 – satisfied")), ("3", _("3 – acceptable")),
                                ("2", _("2 – dissatisfied")), ("1", _("1 – very dissatisfied"))]))
    comment = text_field(_("Anything you want to tell us? (optional)"), rows=2, max_length=RATING_COMMENT_MAX)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_rating_%s")
        super().__init__(*args, **kwargs)
