"""Forms of the knowledge pages. As for incidents, the services judge the input; these forms type and
render the fields and carry the services' messages back next to them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import contract_list
from opsdesk.core.forms import ServiceErrorsMixin
from opsdesk.incidents.forms import text_field

from .choices import ArticleStatus, Audience
from .models import KEYWORDS_MAX, SYSTEMS_MAX, TITLE_MAX
from .selectors import active_categories, author_contracts


class CategoriesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class ArticleForm(ServiceErrorsMixin, forms.Form):
    """Create or edit an article; the contract is chosen only when creating."""

    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    title = text_field(_("Title"), max_length=TITLE_MAX, required_hint=True, accesskey="t", autofocus=True)
    symptom = text_field(_("Symptom"), rows=4)
    cause = text_field(_("Cause"), rows=3)
    solution = text_field(_("Solution"), rows=6)
    keywords = text_field(_("Keywords"), max_length=KEYWORDS_MAX)
    affected_systems = text_field(_("Affected systems"), max_length=SYSTEMS_MAX)
    audience = forms.CharField(label=_("Audience"), required=False, initial=Audience.ENGINEER,
                               widget=forms.Select(choices=Audience.choices))
    categories = CategoriesField(label=_("Related categories"), queryset=active_categories(), required=False,
                                 widget=forms.SelectMultiple(attrs={"size": 6}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["keywords"].help_text = _("Words people type for this problem: product names, error codes.")
        if creating:
            self.fields["contract"].widget.choices = [(c.code, str(c)) for c in author_contracts(user=user)]
            del self.fields["version"]
        else:
            del self.fields["contract"]

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) or "" for name in
                ("title", "symptom", "cause", "solution", "keywords", "affected_systems", "audience")}
        data["categories"] = [c.pk for c in self.cleaned_data.get("categories") or []]
        return data


class ArticleFilterForm(ServiceErrorsMixin, forms.Form):
    """Renders the list filters; ArticleFilters.parse (shared with the API) judges them."""

    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Words, error codes, systems"), "data-shortcut": "search"}))
    status = forms.CharField(label=_("Status"), required=False, widget=forms.Select)
    audience = forms.CharField(label=_("Audience"), required=False, widget=forms.Select)
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.choices = [("", _("Any status")), *ArticleStatus.choices]
        self.fields["audience"].widget.choices = [("", _("Any audience")), *Audience.choices]
        self.fields["contract"].widget.choices = [("", _("Any contract")),
                                                  *((c.code, str(c)) for c in contract_list(visible_to=user))]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, value in data.items():
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, _("Null characters are not allowed."))
        return data
