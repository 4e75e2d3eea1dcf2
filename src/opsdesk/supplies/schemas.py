"""Request and response schemas of the supplies API (api.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from opsdesk.core.api import CursorPageOut, OutSchema, Text

from .services import MAX_QUANTITY


class LocationOut(OutSchema):
    id: int
    code: str
    name: str
    kind: str


class LocationIn(Schema):
    contract: Text = Field(max_length=40)
    code: Text = Field(max_length=60)
    name: Text = Field(max_length=200)
    kind: Text = Field("store_room", description="store_room | site")


class StockOut(OutSchema):
    location: str = Field(description="Location code.")
    location_name: str
    quantity: int


class PartOut(OutSchema):
    id: int
    contract: str
    code: str
    name: str
    model: str
    brand: str
    labels: list[str]
    unit: str
    unit_price: Decimal
    min_stock: int
    agreed_stock: int
    supplier: str
    total_stock: int
    below_minimum: bool
    stock: list[StockOut]
    version: int


class PartPageOut(CursorPageOut):
    items: list[PartOut]


class PartIn(Schema):
    contract: Text = Field(max_length=40)
    code: Text = Field(max_length=60)
    name: Text = Field(max_length=200)
    model: Text = Field("", max_length=200)
    brand: Text = Field("", max_length=100)
    labels: list[Text] = Field([], max_length=20)
    unit: Text = Field("个", max_length=20)
    unit_price: Decimal = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    min_stock: int = Field(0, ge=0, le=MAX_QUANTITY)
    agreed_stock: int = Field(0, ge=0, le=MAX_QUANTITY)
    supplier: Text = Field("", max_length=200)


class PartPatch(Schema):
    version: int | None = None
    name: Text | None = Field(None, max_length=200)
    model: Text | None = Field(None, max_length=200)
    brand: Text | None = Field(None, max_length=100)
    labels: list[Text] | None = Field(None, max_length=20)
    unit: Text | None = Field(None, max_length=20)
    unit_price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    min_stock: int | None = Field(None, ge=0, le=MAX_QUANTITY)
    agreed_stock: int | None = Field(None, ge=0, le=MAX_QUANTITY)
    supplier: Text | None = Field(None, max_length=200)


class PartListParams(Schema):
    contract: Text = ""
    q: Text = Field("", max_length=200)
    label: Text = Field("", max_length=30)
    location: Text = Field("", max_length=60, description="Location code: parts in stock there.")
    below_min: bool = Field(False, description="Only parts with fewer in stock than their minimum.")
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


class MovementOut(OutSchema):
    id: int
    part: int
    part_code: str
    kind: str
    quantity: int = Field(description="Units moved; for an adjustment the signed difference the count found.")
    from_location: str | None
    to_location: str | None
    reason: str
    ticket: str | None
    by: str
    at: dt.datetime


class MovementPageOut(CursorPageOut):
    items: list[MovementOut]


class MovementIn(Schema):
    kind: Text = Field(description="in | out | transfer | write_off | adjustment")
    quantity: int | None = Field(None, description="Units (not for an adjustment).")
    counted: int | None = Field(None, description="For an adjustment: the number the stock count found.")
    location: Text = Field(max_length=200, description="Location code: where it arrives (in), leaves (out, "
                                                      "write_off, transfer) or was counted (adjustment).")
    to_location: Text = Field("", max_length=200, description="For a transfer: the location code it goes to.")
    reason: Text = Field("", max_length=500)
    ticket: Text = Field("", max_length=40, description="Incident number (INC-…) of the same contract.")


class MovementListParams(Schema):
    contract: Text = ""
    part: Text = ""
    kind: Text = ""
    ticket: Text = Field("", max_length=40)
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


class ReplenishmentOut(OutSchema):
    part: int
    contract: str
    code: str
    name: str
    unit: str
    in_stock: int
    min_stock: int
    agreed_stock: int
    to_order: int
    unit_price: Decimal
    amount: Decimal


class ConsumableOut(OutSchema):
    id: int
    contract: str
    code: str
    name: str
    model: str
    brand: str
    unit: str
    unit_price: Decimal
    supplier: str
    quantity: int
    min_stock: int
    version: int


class ConsumablePageOut(CursorPageOut):
    items: list[ConsumableOut]


class ConsumableIn(Schema):
    contract: Text = Field(max_length=40)
    code: Text = Field(max_length=60)
    name: Text = Field(max_length=200)
    model: Text = Field("", max_length=200)
    brand: Text = Field("", max_length=100)
    unit: Text = Field("个", max_length=20)
    unit_price: Decimal = Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    supplier: Text = Field("", max_length=200)
    min_stock: int = Field(0, ge=0, le=MAX_QUANTITY)


class ConsumableListParams(Schema):
    contract: Text = ""
    q: Text = Field("", max_length=200)
    below_min: bool = False
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


class ReceiveIn(Schema):
    quantity: int
    reason: Text = Field("", max_length=500)


class AdjustIn(Schema):
    counted: int
    reason: Text = Field("", max_length=500)


class IssueIn(Schema):
    quantity: int
    department: Text = Field("", max_length=200, description="Department id or name (of the contract's client).")
    person: Text = Field("", max_length=150, description="Username of the person, if they have an account.")
    person_name: Text = Field("", max_length=100, description="Otherwise their name.")
    reason: Text = Field("", max_length=500)


class LoanIn(IssueIn):
    due_on: dt.date


class ConsumableMovementOut(OutSchema):
    id: int
    consumable: int
    kind: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    department: str | None
    person: str
    reason: str
    by: str
    at: dt.datetime


class LoanOut(OutSchema):
    id: int
    contract: str
    consumable: int
    consumable_name: str
    quantity: int
    department: str | None
    borrower: str
    lent_at: dt.datetime
    due_on: dt.date
    returned_at: dt.datetime | None
    overdue: bool


class LoanPageOut(CursorPageOut):
    items: list[LoanOut]


class LoanListParams(Schema):
    contract: Text = ""
    state: Text = Field("", description="open | overdue | returned (empty: all)")
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


class StockReportRowOut(OutSchema):
    part: int
    code: str
    name: str
    unit: str
    opening: int
    received: int
    issued: int
    written_off: int
    adjusted: int
    transferred: int = Field(description="Moved between locations (the total does not change).")
    closing: int
    unit_price: Decimal
    closing_value: Decimal
    below_minimum: bool


class StockReportOut(OutSchema):
    contract: str
    month: str
    rows: list[StockReportRowOut]
    totals: dict[str, Any]


class StockReportParams(Schema):
    contract: Text = Field(max_length=40)
    month: Text = Field("", description="YYYY-MM (Beijing time); empty: this month.")


class UsageParams(Schema):
    contract: Text = Field("", max_length=40, description="Empty: every contract you work on.")
    by: Text = Field("department", description="department | person")
    from_: Text = Field("", alias="from", description="YYYY-MM-DD; default the 1st of this month.")
    to: Text = Field("", description="YYYY-MM-DD (included); default today.")


class UsageRowOut(OutSchema):
    rank: int
    key: str
    name: str
    quantity: int
    amount: Decimal
    issues: int


class UsageOut(OutSchema):
    by: str
    date_from: dt.date
    date_to: dt.date = Field(description="Included.")
    rows: list[UsageRowOut]


