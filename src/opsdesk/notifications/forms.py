"""Forms of the notification pages: personal settings and group robots. They only parse input; the services
validate the business rules and their errors are shown next to the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.core.forms import ServiceErrorsMixin

from .choices import MessageLanguage, NotificationKind, RobotProvider


class PreferencesForm(forms.Form):
    """One checkbox per kind for e-mail (in-app is always on), and the language of one's messages."""

    language = forms.ChoiceField(label=_("Language of my messages"), choices=MessageLanguage.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            self.fields[f"email_{kind.value}"] = forms.BooleanField(label=kind.label, required=False)

    def email_choices(self) -> dict[str, bool]:
        return {k.value: bool(self.cleaned_data.get(f"email_{k.value}")) for k in NotificationKind}


class RobotForm(ServiceErrorsMixin, forms.Form):
    contract = forms.TypedChoiceField(label=_("Contract"), coerce=int)
    provider = forms.ChoiceField(label=_("Provider"), choices=RobotProvider.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    webhook_url = forms.CharField(label=_("Webhook URL"), max_length=500,
                                  help_text=_("Copied from the group's robot settings."))
    secret = forms.CharField(label=_("Signing secret"), max_length=200, required=False,
                             widget=forms.PasswordInput(render_value=False),
                             help_text=_("DingTalk and Feishu robots with signing (加签) enabled; WeCom has none."))
    kinds = forms.MultipleChoiceField(label=_("Notifications it receives"), choices=NotificationKind.choices,
                                      widget=forms.CheckboxSelectMultiple, required=False)
    language = forms.ChoiceField(label=_("Language of its messages"), choices=MessageLanguage.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, contracts: list[tuple[int, str]], editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = contracts  # type: ignore[attr-defined]
        if editing:
            del self.fields["contract"]
            del self.fields["provider"]
            self.fields["secret"].help_text = _("Leave empty to keep the current secret.")
        else:
            del self.fields["is_active"]
