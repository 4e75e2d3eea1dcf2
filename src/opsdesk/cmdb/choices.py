from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("In use")
    MAINTENANCE = "maintenance", _("Under maintenance")
    RETIRED = "retired", _("Retired")


class Importance(models.IntegerChoices):
    CRITICAL = 1, _("Critical")
    HIGH = 2, _("High")
    MEDIUM = 3, _("Medium")
    LOW = 4, _("Low")


class RelationKind(models.TextChoices):
    RUNS_ON = "runs_on", _("runs on")
    DEPENDS_ON = "depends_on", _("depends on")
    CONNECTS_TO = "connects_to", _("connects to")
    CONTAINS = "contains", _("contains")
    BACKED_UP_BY = "backed_up_by", _("is backed up by")


class AttributeKind(models.TextChoices):
    TEXT = "text", _("Text")
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Number")
    DATE = "date", _("Date")
    BOOL = "bool", _("Yes / no")
    CHOICE = "choice", _("Choice")


# How an outage travels along a relationship "source —kind→ target":
#   "target": when the target goes down the source is affected (the source runs on / depends on it);
#   "source": when the source goes down the target is affected (a room that contains servers);
#   "both":   either way (a line connecting two sites);
#   absent:   not at all (losing the backup does not stop the system).
IMPACT_DIRECTION = {RelationKind.RUNS_ON: "target", RelationKind.DEPENDS_ON: "target",
                    RelationKind.CONTAINS: "source", RelationKind.CONNECTS_TO: "both"}
