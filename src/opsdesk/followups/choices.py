from django.db import models
from django.utils.translation import gettext_lazy as _


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Waiting for verification")
    VERIFIED = "verified", _("Solution verified")
    CALLED_BACK = "called_back", _("User called back")
    CONFIRMED = "confirmed", _("Confirmed by the user")
    TRACKED = "tracked", _("Tracking table updated")
    CLOSED = "closed", _("Closed")
    SENT_BACK = "sent_back", _("Sent back")
    CANCELLED = "cancelled", _("Cancelled")


S = FollowUpStatus
OPEN_STATUSES = (S.OPEN, S.VERIFIED, S.CALLED_BACK, S.CONFIRMED, S.TRACKED)
ENDED_STATUSES = (S.CLOSED, S.SENT_BACK, S.CANCELLED)
STATUS_COLOURS: dict[str, str] = {S.OPEN: "blue", S.VERIFIED: "cyan", S.CALLED_BACK: "indigo", S.CONFIRMED: "teal",
                  S.TRACKED: "green", S.CLOSED: "secondary", S.SENT_BACK: "red", S.CANCELLED: "secondary"}
