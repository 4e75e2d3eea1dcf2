"""Categories and statuses of assets (资产), the states of their procedures (申购 / 外带 / 维修 / 报废) and the
results of the monthly asset check (月度资产检查), with badge colours."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssetCategory(models.TextChoices):
    INFORMATION = "information", _("Information asset")
    SOFTWARE = "software", _("Software asset")
    PHYSICAL = "physical", _("Physical asset")


class AssetStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    IN_USE = "in_use", _("In use")
    UNDER_REPAIR = "under_repair", _("Under repair")
    TAKEN_OUT = "taken_out", _("Taken out")
    SCRAPPED = "scrapped", _("Scrapped")


ASSET_COLOURS = {AssetStatus.IN_STOCK: "cyan", AssetStatus.IN_USE: "green", AssetStatus.UNDER_REPAIR: "orange",
                 AssetStatus.TAKEN_OUT: "purple", AssetStatus.SCRAPPED: "dark"}
# Assets still on the register (checked monthly, open to procedures).
ACTIVE_ASSET_STATUSES = (AssetStatus.IN_STOCK, AssetStatus.IN_USE, AssetStatus.UNDER_REPAIR, AssetStatus.TAKEN_OUT)


class AcquisitionStatus(models.TextChoices):
    REQUESTED = "requested", _("Awaiting approval")
    APPROVED = "approved", _("Approved, to be purchased")
    PURCHASED = "purchased", _("Purchased, to be issued")
    ISSUED = "issued", _("Issued")
    REJECTED = "rejected", _("Rejected")


class TakeOutStatus(models.TextChoices):
    REQUESTED = "requested", _("Awaiting the device administrator")
    DEVICE_APPROVED = "device_approved", _("Awaiting the security administrator")
    SECURITY_APPROVED = "security_approved", _("Awaiting leadership")
    APPROVED = "approved", _("Approved, to be handed over")
    TAKEN_OUT = "taken_out", _("Taken out")
    RETURNED = "returned", _("Returned")
    REJECTED = "rejected", _("Rejected")


class RepairStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    WITH_VENDOR = "with_vendor", _("With the vendor (in warranty)")
    PRICED = "priced", _("Part priced")
    QUOTING = "quoting", _("Collecting quotes")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting client approval")
    APPROVED = "approved", _("Ready to repair")
    IN_REPAIR = "in_repair", _("Being repaired on site")
    SENT_OUT = "sent_out", _("Sent out for repair")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")


class ScrapStatus(models.TextChoices):
    REQUESTED = "requested", _("Awaiting the project manager")
    PM_APPROVED = "pm_approved", _("Awaiting the client's division leader")
    SCRAPPED = "scrapped", _("Scrapped")
    REJECTED = "rejected", _("Rejected")


class CheckResult(models.TextChoices):
    OK = "ok", _("Present, OK")
    MISSING = "missing", _("Missing")
    DAMAGED = "damaged", _("Damaged")
    LOCATION_DIFFERS = "location_differs", _("Location differs")


class CheckStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    COMPLETED = "completed", _("Completed")


PROCEDURE_COLOURS = {
    "requested": "blue", "approved": "cyan", "purchased": "indigo", "issued": "secondary",
    "device_approved": "orange", "security_approved": "orange", "taken_out": "purple", "returned": "secondary",
    "reported": "blue", "with_vendor": "indigo", "priced": "cyan", "quoting": "yellow",
    "awaiting_approval": "orange", "in_repair": "indigo", "sent_out": "purple", "completed": "secondary",
    "pm_approved": "orange", "scrapped": "dark", "rejected": "dark",
}
