"""Forms of the e-mail intake pages. Lenient: the services judge the input; their messages come back next to
the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.core.forms import ServiceErrorsMixin

from .choices import Outcome, Security, UnknownSenderPolicy


class MailboxForm(ServiceErrorsMixin, forms.Form):
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    name = forms.CharField(label=_("Name"), required=False, widget=forms.TextInput(attrs={"maxlength": 100}))
    address = forms.CharField(label=_("E-mail address"), required=False,
                              widget=forms.EmailInput(attrs={"maxlength": 254}))
    imap_host = forms.CharField(label=_("IMAP server"), required=False)
    imap_port = forms.CharField(label=_("IMAP port"), required=False, initial="993",
                                widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    security = forms.ChoiceField(label=_("Security"), choices=Security.choices, initial=Security.SSL)
    username = forms.CharField(label=_("User name"), required=False)
    password = forms.CharField(label=_("Password"), required=False,
                               widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                               help_text=_("Leave empty to keep the stored password."))
    folder = forms.CharField(label=_("Folder"), required=False, initial="INBOX")
    unknown_sender_policy = forms.ChoiceField(label=_("Mail from unknown senders"),
                                              choices=UnknownSenderPolicy.choices,
                                              initial=UnknownSenderPolicy.CREATE_REQUESTER)
    enabled = forms.BooleanField(label=_("Enabled (polled every minute)"), required=False, initial=True)

    def __init__(self, *args: Any, contracts: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if contracts is None:
            del self.fields["contract"]
        else:
            self.fields["contract"].widget.choices = [(c.code, str(c)) for c in contracts]


class MessageFilterForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", _("All outcomes")), *Outcome.choices])
    contract = forms.CharField(label=_("Contract"), required=False, widget=forms.Select)
    q = forms.CharField(label=_("Sender, subject or ticket"), required=False)

    def __init__(self, *args: Any, contracts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].widget.choices = [("", _("All contracts"))] + [(c.code, c.code) for c in contracts]


class RetryForm(ServiceErrorsMixin, forms.Form):
    as_user = forms.CharField(label=_("Process as"), required=False, widget=forms.Select,
                              help_text=_("Empty: as the sender (after you registered the address)."))

    def __init__(self, *args: Any, people: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["as_user"].widget.choices = [("", _("The sender"))] + [
            (u.username, f"{u.display_name} <{u.email}>" if u.email else u.display_name) for u in people]


class DiscardForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000}))
