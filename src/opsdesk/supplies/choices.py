"""Kinds of stock movements and locations (备件与耗材), with their badge colours."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LocationKind(models.TextChoices):
    STORE_ROOM = "store_room", _("Store room")
    SITE = "site", _("Site")


class MovementKind(models.TextChoices):
    """What a spare-part movement does to the stock of its part (all locations together)."""

    IN = "in", _("Stock in")
    OUT = "out", _("Stock out")
    TRANSFER = "transfer", _("Transferred")
    WRITE_OFF = "write_off", _("Written off")
    ADJUSTMENT = "adjustment", _("Stock count adjustment")


MOVEMENT_COLOURS = {
    MovementKind.IN: "green", MovementKind.OUT: "blue", MovementKind.TRANSFER: "cyan",
    MovementKind.WRITE_OFF: "red", MovementKind.ADJUSTMENT: "orange",
}


class ConsumableMovementKind(models.TextChoices):
    IN = "in", _("Stock in")
    ISSUE = "issue", _("Issued")
    LOAN = "loan", _("Lent")
    RETURN = "return", _("Returned")
    ADJUSTMENT = "adjustment", _("Stock count adjustment")


CONSUMABLE_MOVEMENT_COLOURS = {
    ConsumableMovementKind.IN: "green", ConsumableMovementKind.ISSUE: "blue", ConsumableMovementKind.LOAN: "purple",
    ConsumableMovementKind.RETURN: "teal", ConsumableMovementKind.ADJUSTMENT: "orange",
}
