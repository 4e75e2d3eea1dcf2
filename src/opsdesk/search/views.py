"""The global search page: one box in the page header, hits across every searchable type the viewer may see.

Visibility is inside the search query (selectors.search); this view only reads the parameters, asks once,
and says where each hit is opened: staff open the staff pages, client people the portal and self-help pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.errors import ValidationError
from opsdesk.core.http import page_errors
from opsdesk.incidents.choices import STATUS_COLOURS as INCIDENT_COLOURS
from opsdesk.knowledge.choices import STATUS_COLOURS as ARTICLE_COLOURS
from opsdesk.problems.choices import STATUS_COLOURS as PROBLEM_COLOURS

from .registry import adapter_for, kinds, visibility_scope
from .selectors import MAX_LIMIT, QUERY_MAX, Hit, SearchFilters, search

PAGE = 20  # hits shown first; "show more" adds as many again, up to selectors.MAX_LIMIT


@dataclass(frozen=True)
class KindPages:
    """Where a hit of one type is opened, and the tab naming the type."""

    tab: Any
    staff_url: str
    client_url: str
    colours: Mapping[Any, str]  # a status (TextChoices, equal to its value) → badge colour


KIND_PAGES: dict[str, KindPages] = {
    "incident": KindPages(_("Incidents"), "incidents:incident_detail", "portal:incident_detail", INCIDENT_COLOURS),
    "article": KindPages(_("Knowledge articles"), "knowledge:article_detail", "knowledge:self_help_detail",
                         ARTICLE_COLOURS),
    # clients never find problems (the adapter's visibility): the staff page serves both
    "problem": KindPages(_("Problems"), "problems:problem_detail", "problems:problem_detail", PROBLEM_COLOURS),
}


@dataclass(frozen=True)
class Row:
    """One hit as the page shows it."""

    hit: Hit
    type_label: Any
    url: str
    status_label: Any
    status_colour: str


def _limit(raw: str | None) -> int:
    try:
        return min(max(int(raw or PAGE), 1), MAX_LIMIT)
    except ValueError:
        return PAGE


def _status_labels(kind: str) -> dict[str, Any]:
    adapter = adapter_for(kind)
    if adapter is None:
        return {}
    try:
        return {str(k): v for k, v in adapter.model._meta.get_field("status").flatchoices}  # type: ignore[union-attr]
    except Exception:  # a type without a status field shows the raw value
        return {}


def _row(hit: Hit, *, staff: bool, labels: dict[str, dict[str, Any]]) -> Row:
    pages = KIND_PAGES.get(hit.type)
    adapter = adapter_for(hit.type)
    url = ""
    if pages is not None:
        try:
            url = reverse(pages.staff_url if staff else pages.client_url, args=[hit.number])
        except NoReverseMatch:
            url = ""
    if hit.type not in labels:
        labels[hit.type] = _status_labels(hit.type)
    return Row(hit=hit, type_label=adapter.label if adapter is not None else hit.type, url=url,
               status_label=labels[hit.type].get(hit.status, hit.status),
               status_colour=pages.colours.get(hit.status, "secondary") if pages is not None else "secondary")


def _tabs(q: str, current: str, user: User) -> list[dict[str, Any]]:
    """A tab per type the viewer may find anything of (no "problems" tab for a requester)."""
    tabs = [{"type": "", "label": _("All"), "active": current == ""}]
    access = access_for(user)
    for kind in kinds():
        pages = KIND_PAGES.get(kind)
        adapter = adapter_for(kind)
        if adapter is not None and visibility_scope(adapter, user=user, access=access) == [] and kind != current:
            continue
        label = pages.tab if pages is not None else (adapter.label if adapter is not None else kind)
        tabs.append({"type": kind, "label": label, "active": current == kind})
    return tabs


@login_required
@page_errors
@require_GET
def hit_list(request: HttpRequest) -> HttpResponse:
    """Hits of `q` among everything the viewer may see, best first; `type` narrows to one type of record."""
    user = cast(User, request.user)
    q = (request.GET.get("q") or "").replace("\x00", "").strip()[:QUERY_MAX]
    kind = (request.GET.get("type") or "").strip()
    limit = _limit(request.GET.get("limit"))
    context: dict[str, Any] = {"q": q, "type": kind, "limit": limit, "tabs": _tabs(q, kind, user), "rows": None,
                               "errors": [], "more_limit": None, "at_max": False, "max_limit": MAX_LIMIT}
    status = 200
    if q:
        try:
            # One more than shown tells whether there is more (the selector has no offset).
            hits = search(visible_to=user, filters=SearchFilters(q=q, types=[kind] if kind else [],
                                                                 limit=min(limit + 1, MAX_LIMIT)))
        except ValidationError as exc:
            context["errors"] = list(exc.fields.values()) or [exc.message]
            status = 400
        else:
            staff = user.is_superuser or access_for(user).is_staff_member
            labels: dict[str, dict[str, Any]] = {}
            context["rows"] = [_row(h, staff=staff, labels=labels) for h in hits[:limit]]
            if len(hits) > limit:
                context["more_limit"] = min(limit + PAGE, MAX_LIMIT)
            elif limit >= MAX_LIMIT and len(hits) >= MAX_LIMIT:
                context["at_max"] = True
    return render(request, "search/results.html", context, status=status)
