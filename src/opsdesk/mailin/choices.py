"""E-mail intake enumerations, each outcome with its badge colour."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Security(models.TextChoices):
    """How the IMAP connection is encrypted; both verify the server's certificate."""

    SSL = "ssl", _("SSL/TLS (port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")


class UnknownSenderPolicy(models.TextChoices):
    """What happens to mail from an address that belongs to nobody on the contract."""

    CREATE_REQUESTER = "create_requester", _("Create a requester")
    REJECT = "reject", _("Reject with a reply")


class Outcome(models.TextChoices):
    CREATED = "created", _("Incident created")
    APPENDED = "appended", _("Added to an incident")
    IGNORED = "ignored", _("Ignored (auto-reply or bounce)")
    DUPLICATE = "duplicate", _("Duplicate")
    REJECTED = "rejected", _("Rejected (unknown sender)")
    QUARANTINED = "quarantined", _("Quarantined")
    DISCARDED = "discarded", _("Discarded")


OUTCOME_COLOURS = {
    Outcome.CREATED: "green",
    Outcome.APPENDED: "blue",
    Outcome.IGNORED: "secondary",
    Outcome.DUPLICATE: "secondary",
    Outcome.REJECTED: "orange",
    Outcome.QUARANTINED: "red",
    Outcome.DISCARDED: "dark",
}
