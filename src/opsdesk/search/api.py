"""REST API of search (mounted at /api/v1/search): one query over every type the caller may see."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from opsdesk.core.api import ERROR_RESPONSES, OutSchema, api_user

from .selectors import MAX_LIMIT, SearchFilters, search

router = Router(tags=["search"])


class SearchParams(Schema):
    q: str = Field("", description="What to look for, as typed: Chinese, English, error codes, IP addresses. "
                                   "Records holding every word (or a synonym of it) come first, then those "
                                   "matching a word by its pinyin (a typo), then those holding only some of the "
                                   "words (`partial`). Operators and quotes are plain text.")
    type: list[str] = Field([], description="Repeatable or comma-separated: `incident`, `article` (knowledge), "
                                             "`problem`.")
    contract: str = Field("", description="Contract code.")
    status: list[str] = Field([], description="Repeatable or comma-separated status values.")
    limit: int = Field(20, ge=1, le=MAX_LIMIT)


class SearchHitOut(OutSchema):
    type: str = Field(examples=["incident"])
    id: int = Field(description="The record's id.")
    number: str = Field(description="The record's number (e.g. INC-20261122-0001); empty for types without one.")
    title: str
    snippet: str = Field(description="HTML: the text around the match, escaped, with <mark> around matched words.")
    score: float = Field(description="Higher is better; only comparable within one answer.")
    status: str
    fallback: bool = Field(description="Matched only through the pinyin of its words (a likely typo).")
    partial: bool = Field(description="Holds only some of the words typed; listed after the records holding "
                                      "them all, when those do not fill the answer.")


class SearchOut(OutSchema):
    items: list[SearchHitOut]


def _many(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.replace("\x00", "").split(",") if p.strip())
    return out


@router.get("", response={200: SearchOut, **ERROR_RESPONSES}, summary="Search everything you may see")
def search_api(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    user = api_user(request)
    filters = SearchFilters(q=params.q.replace("\x00", " "), types=_many(params.type),
                            contract=params.contract.replace("\x00", ""), status=_many(params.status),
                            limit=params.limit)
    hits = search(visible_to=user, filters=filters)
    return {"items": [{"type": h.type, "id": h.object_id, "number": h.number, "title": h.title,
                       "snippet": h.snippet, "score": h.score, "status": h.status, "fallback": h.fallback,
                       "partial": h.partial}
                      for h in hits]}
