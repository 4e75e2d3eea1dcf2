"""Statuses of problems (问题), each with its badge colour."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemStatus(models.TextChoices):
    NEW = "new", _("New")
    INVESTIGATING = "investigating", _("Investigating")
    KNOWN_ERROR = "known_error", _("Known error")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


STATUS_COLOURS = {
    ProblemStatus.NEW: "blue",
    ProblemStatus.INVESTIGATING: "indigo",
    ProblemStatus.KNOWN_ERROR: "orange",
    ProblemStatus.SOLVED: "green",
    ProblemStatus.CLOSED: "secondary",
    ProblemStatus.CANCELLED: "dark",
}

# Still being worked: the states a problem can be cancelled from.
WORKING_STATUSES = (ProblemStatus.NEW, ProblemStatus.INVESTIGATING, ProblemStatus.KNOWN_ERROR)
# A problem that is neither closed nor cancelled holds its incidents: a solved one can still be reopened.
OPEN_STATUSES = (*WORKING_STATUSES, ProblemStatus.SOLVED)
ENDED_STATUSES = (ProblemStatus.CLOSED, ProblemStatus.CANCELLED)
