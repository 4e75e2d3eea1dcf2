"""Forms of the incident pages.

The services are the single judge of the input (the API calls the same ones): these forms only type and
render the fields, and carry the services' ValidationError messages back next to the fields that caused them.
So the fields are deliberately lenient (required=False, no max_length); the browser still gets `required` and
`maxlength` attributes as hints.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import caller_get, contract_list
from opsdesk.core.forms import ServiceErrorsMixin

from .choices import CallOutcome, Channel, IncidentStatus, Level
from .models import TITLE_MAX
from .selectors import SORTS, category_list
from .services import LOGGERS

TEXT_ROWS = 3


def text_field(label: Any, *, max_length: int | None = None, required_hint: bool = False, rows: int | None = None,
          **attrs: Any) -> forms.CharField:
    widget_attrs = dict(attrs)
    if max_length:
        widget_attrs["maxlength"] = max_length
    if required_hint:
        widget_attrs["required"] = True
    if rows:
        widget_attrs["rows"] = rows
        widget: forms.Widget = forms.Textarea(attrs=widget_attrs)
    else:
        widget = forms.TextInput(attrs=widget_attrs)
    return forms.CharField(label=label, required=False, strip=False, widget=widget)


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class IncidentCreateForm(ServiceErrorsMixin, forms.Form):
    """The agent's form for a phone call: caller, contract, level, and what the caller reports."""

    requester = forms.CharField(required=False, widget=forms.HiddenInput)
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    title = text_field(_("Title"), max_length=TITLE_MAX, required_hint=True, accesskey="t")
    level = forms.CharField(label=_("Level"), required=False, initial=str(Level.L4),
                            widget=forms.RadioSelect(choices=Level.choices))
    description = text_field(_("Description"), rows=TEXT_ROWS)
    symptom = text_field(_("Symptom"), rows=2)
    operation_steps = text_field(_("Operation steps"), rows=2)
    error_message = text_field(_("Error message"), rows=2)
    category = CategoryChoiceField(label=_("Category"), queryset=category_list(), required=False)
    affected_system = text_field(_("Affected system"), max_length=200)
    channel = forms.CharField(label=_("Channel"), required=False, initial=Channel.PHONE,
                              widget=forms.Select(choices=Channel.choices))
    contact_phone = text_field(_("Contact phone"), max_length=40)
    reported_at = forms.CharField(
        label=_("Call came in at"), required=False,
        help_text=_("When the caller actually reached us, if earlier than now: the SLA clocks start there."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 60}))
    call_notes = text_field(_("Call notes"), rows=4, accesskey="k",
                            placeholder=_("What the caller says, while you listen (internal)"))
    call_started_at = forms.CharField(required=False, widget=forms.HiddenInput)
    # the knowledge article whose solution the agent applied from the suggestions (its number)
    applied_article = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.contracts: list[Contract] = list(contract_list(visible_to=user, role_in=LOGGERS))
        self.fields["contract"].widget.choices = [("", "—")] + [(c.code, str(c)) for c in self.contracts]
        if len(self.contracts) == 1:  # the usual case: an agent sits on one contract's hotline
            self.fields["contract"].initial = self.contracts[0].code
        self.fields["category"].queryset = category_list()
        self.requester_user: User | None = None

    def clean_contract(self) -> Contract | None:
        code = self.cleaned_data.get("contract") or ""
        return next((c for c in self.contracts if c.code == code), None)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        requester = cleaned.get("requester")
        if cleaned.get("contract") is None and not self.data.get("contract") and requester is not None:
            # No contract chosen: the caller's organisation decides when the agent serves it on one contract.
            code = suggested_contract(requester, self.contracts)
            cleaned["contract"] = next((c for c in self.contracts if c.code == code), None)
        return cleaned

    def clean_requester(self) -> User | None:
        self.requester_user = caller_get(visible_to=self.user, username=self.cleaned_data.get("requester") or "")
        return self.requester_user

    def selected_requester(self) -> User | None:
        """The caller chosen so far (to show it again when the form comes back with errors)."""
        if self.requester_user is None and self.is_bound:
            self.requester_user = caller_get(visible_to=self.user, username=self.data.get("requester") or "")
        return self.requester_user

    def clean_applied_article(self) -> Any:
        """The applied article, as the agent may read it and only when published; None when none."""
        from opsdesk.core.errors import NotFound
        from opsdesk.knowledge.choices import ArticleStatus
        from opsdesk.knowledge.selectors import article_get

        number = (self.cleaned_data.get("applied_article") or "").strip()
        if not number:
            return None
        try:
            article = article_get(number=number, visible_to=self.user)
        except NotFound:
            article = None
        if article is None or article.status != ArticleStatus.PUBLISHED:
            raise forms.ValidationError(_("The applied knowledge article is not available (any more)."))
        return article

    def call_kwargs(self) -> dict[str, Any]:
        """The call record's part of the form (incident_create_from_call's call_* and article arguments)."""
        return {"call_notes": self.cleaned_data.get("call_notes", ""),
                "call_started_at": self.cleaned_data.get("call_started_at") or None,
                "article": self.cleaned_data.get("applied_article")}

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "contract": data.get("contract"), "requester": data.get("requester"), "title": data.get("title", ""),
            "description": data.get("description", ""), "symptom": data.get("symptom", ""),
            "operation_steps": data.get("operation_steps", ""), "error_message": data.get("error_message", ""),
            "channel": data.get("channel") or Channel.PHONE, "level": data.get("level"),
            "category": data.get("category"), "affected_system": data.get("affected_system", ""),
            "contact_phone": data.get("contact_phone", ""), "reported_at": data.get("reported_at") or None,
        }


PERSON_ATTRS = {"list": "people-choices", "placeholder": _("me / none / username")}


class IncidentFilterForm(ServiceErrorsMixin, forms.Form):
    """Renders the list filters; IncidentFilters.parse (shared with the API) is what judges them."""

    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Number or words of the title"), "data-shortcut": "search"}))
    status = forms.CharField(label=_("Status"), required=False, widget=forms.Select)
    level = forms.CharField(label=_("Level"), required=False, widget=forms.Select)
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    assignee = forms.CharField(label=_("Assignee"), required=False, widget=forms.TextInput(attrs=PERSON_ATTRS))
    owner = forms.CharField(label=_("Owner"), required=False, widget=forms.TextInput(attrs=PERSON_ATTRS))
    requester = forms.CharField(label=_("Requester"), required=False,
                                widget=forms.TextInput(attrs={"placeholder": _("username")}))
    created_from = forms.CharField(label=_("Created from"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    created_to = forms.CharField(label=_("Created to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.CharField(label=_("Sort"), required=False, widget=forms.Select)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.choices = [("", _("Any status")), ("open", _("Open (not yet ended)")),
                                                *IncidentStatus.choices]
        self.fields["level"].widget.choices = [("", _("Any level")), *((str(v), lbl) for v, lbl in Level.choices)]
        self.fields["contract"].widget.choices = [("", _("Any contract")),
                                                  *((c.code, str(c)) for c in contract_list(visible_to=user))]
        self.fields["sort"].widget.choices = [(key, label) for key, (_order, label) in SORTS.items()]


def _action_field(spec: dict[str, Any]) -> forms.Field:
    label = spec["label"]
    required = bool(spec.get("required"))
    attrs: dict[str, Any] = {"required": True} if required else {}
    if spec.get("max_length"):
        attrs["maxlength"] = spec["max_length"]
    kind = spec.get("type")
    if kind == "bool":
        return forms.BooleanField(label=label, required=False)
    if kind in ("choice", "user"):
        choices = [("", "—")] + [(c["value"], c["label"]) for c in spec.get("choices", [])]
        return forms.CharField(label=label, required=False, widget=forms.Select(choices=choices, attrs=attrs))
    if kind == "textarea":
        return forms.CharField(label=label, required=False, strip=False,
                               widget=forms.Textarea(attrs={**attrs, "rows": TEXT_ROWS}))
    if kind == "datetime":
        return forms.CharField(label=label, required=False,
                               widget=forms.DateTimeInput(attrs={**attrs, "type": "datetime-local"}))
    return forms.CharField(label=label, required=False, strip=False, widget=forms.TextInput(attrs=attrs))


class ActionForm(ServiceErrorsMixin, forms.Form):
    """The inputs of one workflow action, built from `describe_actions` (the same data the API exposes).

    The record's `version` travels with it, so an action taken on a page that someone else changed in the
    meantime is refused (409) instead of overwriting their change.
    """

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, action: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{action['name']}_%s")  # several action forms share one page
        super().__init__(*args, **kwargs)
        self.action = action
        for spec in action["fields"]:
            self.fields[spec["name"]] = _action_field(spec)

    def service_data(self) -> dict[str, Any]:
        return {spec["name"]: self.cleaned_data.get(spec["name"]) for spec in self.action["fields"]}


class CommentForm(ServiceErrorsMixin, forms.Form):
    """A comment for the requester, or (staff only) an internal note."""

    body = forms.CharField(label=_("Comment"), required=False, strip=False,
                           widget=forms.Textarea(attrs={"rows": TEXT_ROWS, "required": True}))
    internal = forms.BooleanField(label=_("Internal note (hidden from the client)"), required=False)

    def __init__(self, *args: Any, allow_internal: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_comment_%s")
        super().__init__(*args, **kwargs)
        if not allow_internal:
            del self.fields["internal"]


class AttachmentForm(ServiceErrorsMixin, forms.Form):
    """A file for the timeline; the service checks the size limit."""

    file = forms.FileField(label=_("File"), required=False)
    internal = forms.BooleanField(label=_("Internal (hidden from the client)"), required=False)

    def __init__(self, *args: Any, allow_internal: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_attachment_%s")
        super().__init__(*args, **kwargs)
        if not allow_internal:
            del self.fields["internal"]


def suggested_contract(person: User, contracts: list[Contract]) -> str:
    """The code of the one contract among `contracts` with the caller's organisation, or "" (none or several)."""
    matching = [c.code for c in contracts if c.organisation_id == person.organisation_id]
    return matching[0] if len(matching) == 1 else ""


class CallLogForm(ServiceErrorsMixin, forms.Form):
    """Log a follow-up call about an incident: the agent's notes and, when not just now, when it was."""

    notes = forms.CharField(label=_("Call notes"), required=False, strip=False,
                            widget=forms.Textarea(attrs={"rows": TEXT_ROWS, "required": True}))
    phone = text_field(_("Phone number"), max_length=40)
    started_at = forms.CharField(label=_("Call started"), required=False,
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 60}))
    ended_at = forms.CharField(label=_("Call ended"), required=False,
                               help_text=_("Leave empty for now."),
                               widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 60}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_call_%s")
        super().__init__(*args, **kwargs)


class CallFilterForm(ServiceErrorsMixin, forms.Form):
    """Renders the calls list filters; CallFilters.parse is what judges them."""

    outcome = forms.CharField(label=_("Outcome"), required=False, widget=forms.Select)
    agent = forms.CharField(label=_("Agent"), required=False, widget=forms.TextInput(attrs=PERSON_ATTRS))
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    phone = forms.CharField(label=_("Phone number"), required=False,
                            widget=forms.TextInput(attrs={"type": "search", "data-shortcut": "search"}))
    date_from = forms.CharField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.CharField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].widget.choices = [("", _("Any outcome")), *CallOutcome.choices]
        self.fields["contract"].widget.choices = [("", _("Any contract")),
                                                  *((c.code, str(c)) for c in contract_list(visible_to=user))]
