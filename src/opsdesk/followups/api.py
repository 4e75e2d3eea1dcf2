"""REST API of follow-ups (mounted at /api/v1/follow-ups): the tracking table, one follow-up with its
timeline, and its procedure actions, following the incident pattern (`allowed_actions`, `version`, 409)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from opsdesk.accounts.models import User
from opsdesk.core.api import (
    ERROR_RESPONSES,
    CursorPageOut,
    OutSchema,
    Text,
    action_data,
    activity_out,
    api_user,
)
from opsdesk.core.workflow import describe_actions
from opsdesk.incidents.api import ActionIn, ActionOut, ActivityOut

from . import selectors, services
from .models import FollowUp
from .workflow import FOLLOWUP_WORKFLOW

router = Router(tags=["follow-ups"])


class FollowUpItemOut(OutSchema):
    number: str = Field(examples=["FUP-20261123-0001"])
    ticket: str = Field(description="Number of the ticket followed up (INC-…, SRQ-…).")
    ticket_type: str = Field(description="incident | servicerequest …")
    ticket_title: str
    contract: str
    requester: str | None
    status: str = Field(description="open | verified | called_back | confirmed | tracked | closed | sent_back | "
                                    "cancelled")
    status_label: str
    version: int
    created_at: dt.datetime
    closed_at: dt.datetime | None
    allowed_actions: list[ActionOut]


class FollowUpOut(FollowUpItemOut):
    verification: str
    callback_note: str
    user_statement: str
    sent_back_reason: str
    tracking_note: str
    solution_record: str
    cancel_reason: str
    timeline: list[ActivityOut]


class FollowUpPageOut(CursorPageOut):
    items: list[FollowUpItemOut]


class FollowUpListParams(Schema):
    status: Text = Field("", description="A status, or `open` for every unfinished one.")
    contract: Text = Field("", description="Contract code.")
    ticket: Text = Field("", description="Ticket number.")
    limit: int = Field(25, ge=1, le=200)
    cursor: Text | None = None


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


def _item(fu: FollowUp, actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"number": fu.number, "ticket": fu.ticket_number, "ticket_type": fu.ticket_type.model,
            "ticket_title": fu.ticket_title, "contract": fu.contract.code,
            "requester": fu.requester.username if fu.requester else None, "status": fu.status,
            "status_label": FOLLOWUP_WORKFLOW.status_label(fu.status), "version": fu.version,
            "created_at": _local(fu.created_at), "closed_at": _local(fu.closed_at), "allowed_actions": actions}




def _full(fu: FollowUp, user: User) -> dict[str, Any]:
    out = _item(fu, describe_actions(FOLLOWUP_WORKFLOW, fu, user))
    out.update(verification=fu.verification, callback_note=fu.callback_note, user_statement=fu.user_statement,
               sent_back_reason=fu.sent_back_reason, tracking_note=fu.tracking_note,
               solution_record=fu.solution_record, cancel_reason=fu.cancel_reason,
               timeline=[activity_out(a) for a in selectors.followup_timeline(follow_up=fu)])
    return out


@router.get("", response={200: FollowUpPageOut, **ERROR_RESPONSES}, summary="List follow-ups (tracking table)")
def followup_list_api(request: HttpRequest, params: Query[FollowUpListParams]) -> dict[str, Any]:
    user = api_user(request)
    filters = selectors.parse_filters(params.model_dump(exclude={"limit", "cursor"}))
    page = selectors.followup_list(visible_to=user, filters=filters, limit=params.limit, cursor=params.cursor)
    return {"items": [_item(f, describe_actions(FOLLOWUP_WORKFLOW, f, user, with_choices=False))
                      for f in page.items],
            "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor, "count": page.count,
            "count_capped": page.count_capped}


@router.get("/{number}", response={200: FollowUpOut, **ERROR_RESPONSES}, summary="A follow-up with its timeline")
def followup_detail_api(request: HttpRequest, number: Text) -> dict[str, Any]:
    user = api_user(request)
    return _full(selectors.followup_get(number=number, visible_to=user), user)


@router.post("/{number}/actions/{action}", response={200: FollowUpOut, **ERROR_RESPONSES},
             summary="Take a follow-up action",
             description="verify, call_back, confirm (`no_side_effects`: true), send_back (`reason`), "
                         "update_tracking, close, cancel. Stale `version` or wrong status: 409; role: 403; "
                         "unknown action: 404; a missing or invalid field: 422 naming it.")
def followup_action_api(request: HttpRequest, number: Text, action: Text, payload: ActionIn) -> dict[str, Any]:
    user = api_user(request)
    fu = selectors.followup_get(number=number, visible_to=user)
    data = action_data(payload)
    services.followup_act(follow_up=fu, action=action, by=user, data=data, version=payload.version)
    return _full(selectors.followup_get(number=number, visible_to=user), user)
