"""Knowledge pages for the contractor's staff: list (with search), review queue, write, edit, detail with
version history and lifecycle actions, "this solved it", and the candidate article made from an incident.

Views stay thin: reads through selectors, writes through services; `core.http.page_errors` turns NotFound /
PermissionDenied into 404 / 403.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.accounts.models import User
from opsdesk.accounts.selectors import contract_get
from opsdesk.core.action_pages import action_forms, take_action
from opsdesk.core.errors import Conflict, NotFound, ValidationError
from opsdesk.core.http import is_htmx, page_errors, staff_only
from opsdesk.incidents.forms import ActionForm
from opsdesk.incidents.selectors import incident_get

from . import selectors, services
from .choices import STATUS_COLOURS, ArticleStatus, Audience
from .forms import ArticleFilterForm, ArticleForm
from .models import KnowledgeArticle
from .workflow import ARTICLE_WORKFLOW, AUTHORS


def _me(request: HttpRequest) -> User:
    """The signed-in person (every view here is behind login_required)."""
    return cast(User, request.user)


@login_required
@page_errors
@staff_only
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    """Articles of the viewer's contracts, newest first; with text, the search's best hits in rank order."""
    form = ArticleFilterForm(request.GET, user=_me(request))
    status = 400
    page = None
    if form.is_valid():
        try:
            page = selectors.article_list(visible_to=_me(request), filters=selectors.ArticleFilters.parse(request.GET),
                                          limit=settings.OPSDESK_PAGE_SIZE, cursor=request.GET.get("cursor") or None)
            status = 200
        except ValidationError as exc:
            form.apply_service_errors(exc)
    context = {"form": form, "page": page}
    if is_htmx(request) and not request.htmx.history_restore_request:  # type: ignore[attr-defined]
        return render(request, "knowledge/_article_results.html", context, status=status)
    return render(request, "knowledge/article_list.html", context, status=status)


@login_required
@page_errors
@staff_only
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """Articles waiting for the viewer's review (project manager of their contract), oldest first."""
    return render(request, "knowledge/review_queue.html",
                  {"articles": selectors.review_queue(reviewer=_me(request))})


@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def article_create(request: HttpRequest) -> HttpResponse:
    """Write a draft article."""
    if request.method == "GET":
        form = ArticleForm(user=_me(request), creating=True)
        return render(request, "knowledge/article_form.html", {"form": form, "article": None})
    form = ArticleForm(request.POST, user=_me(request), creating=True)
    if form.is_valid():
        try:
            contract = _contract_or_none(request, form.cleaned_data.get("contract") or "")
            article = services.article_create(by=_me(request), contract=contract, **form.service_data())
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Draft %(number)s saved.") % {"number": article.number})
            return redirect(article.get_absolute_url())
    return render(request, "knowledge/article_form.html", {"form": form, "article": None}, status=422)


def _contract_or_none(request: HttpRequest, code: str) -> Any:
    try:
        return contract_get(code=code.strip(), visible_to=_me(request))
    except NotFound:
        return None


def detail_context(request: HttpRequest, article: KnowledgeArticle, *,
                   action_errors: tuple[str, ActionForm] | None = None) -> dict[str, Any]:
    staff = selectors.is_article_staff(_me(request), article)
    forms_by_action = action_forms(ARTICLE_WORKFLOW, article, _me(request), action_errors)
    return {
        "article": article,
        "actions": forms_by_action,
        "versions": selectors.article_versions(article=article) if staff else [],
        "timeline": selectors.article_timeline(article=article) if staff else [],
        "is_staff": staff,
        "can_edit": bool(ARTICLE_WORKFLOW.roles_of(_me(request), article) & AUTHORS)
        and article.status in services.EDITABLE,
        "status_colours": STATUS_COLOURS,
        "workflow": ARTICLE_WORKFLOW,
    }


@login_required
@page_errors
@staff_only
@require_GET
def article_detail(request: HttpRequest, number: str) -> HttpResponse:
    """An article, its published history and one button per action the viewer may take now."""
    article = selectors.article_get(number=number, visible_to=_me(request))
    return render(request, "knowledge/article_detail.html", detail_context(request, article))


@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, number: str) -> HttpResponse:
    """Edit an article; a published one gets a new revision. A stale page is refused (409), not overwritten."""
    article = selectors.article_get(number=number, visible_to=_me(request))
    if request.method == "GET":
        initial = {name: getattr(article, name) for name in services.TEXT_FIELDS}
        initial["categories"] = list(article.categories.all())
        initial["version"] = article.version
        form = ArticleForm(initial=initial, user=_me(request), creating=False)
        return render(request, "knowledge/article_form.html", {"form": form, "article": article})
    form = ArticleForm(request.POST, user=_me(request), creating=False)
    status = 422
    if form.is_valid():
        try:
            services.article_update(article=article, by=_me(request), version=form.cleaned_data.get("version"),
                                    **form.service_data())
        except ValidationError as exc:
            form.apply_service_errors(exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
            status = 409
        else:
            messages.success(request, _("Article %(number)s saved.") % {"number": article.number})
            return redirect(article.get_absolute_url())
    return render(request, "knowledge/article_form.html", {"form": form, "article": article}, status=status)


@login_required
@page_errors
@staff_only
@require_POST
def article_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """POST of an action button or form (with the article's version)."""
    def render_detail(record: KnowledgeArticle, *, action_errors: tuple[str, ActionForm] | None = None,
                      status: int = 200) -> HttpResponse:
        return render(request, "knowledge/article_detail.html",
                      detail_context(request, record, action_errors=action_errors), status=status)

    return take_action(
        request, workflow=ARTICLE_WORKFLOW, record=selectors.article_get(number=number, visible_to=_me(request)),
        action=action, act=lambda record, **kw: services.article_act(article=record, **kw),
        render_detail=render_detail, reload=lambda: selectors.article_get(number=number, visible_to=_me(request)))


@login_required
@page_errors
@require_POST
def article_solved(request: HttpRequest, number: str) -> HttpResponse:
    """"This solved it" (staff, optionally for an incident; requesters from self-help): once per person."""
    article = selectors.article_get(number=number, visible_to=_me(request))
    incident_number = (request.POST.get("incident") or "").replace("\x00", "").strip()
    try:
        incident = incident_get(number=incident_number, visible_to=_me(request)) if incident_number else None
    except NotFound:
        messages.error(request, _("There is no incident %(number)s.") % {"number": incident_number[:40]})
        return redirect(article.get_absolute_url())
    try:
        counted = services.article_mark_solved(article=article, by=_me(request), incident=incident)
    except Conflict as exc:
        messages.warning(request, exc.message)
    else:
        if counted:
            messages.success(request, _("Thank you: your feedback helps others find this article."))
        else:
            messages.info(request, _("You have already said this article solved your problem."))
    nxt = request.POST.get("next") or ""
    if nxt.startswith("/") and not nxt.startswith("//"):
        return redirect(nxt)
    return redirect(article.get_absolute_url())


@login_required
@page_errors
@staff_only
@require_POST
def article_from_incident(request: HttpRequest, incident_number: str) -> HttpResponse:
    """"Make candidate knowledge" on a resolved or closed incident: a pre-filled draft, opened for editing."""
    incident = incident_get(number=incident_number, visible_to=_me(request))
    try:
        article, created = services.article_from_incident(incident=incident, by=_me(request))
    except Conflict as exc:
        messages.warning(request, exc.message)
        return redirect(incident.get_absolute_url())
    if created:
        messages.success(request, _("Candidate article %(number)s drafted from %(incident)s: review and complete "
                                    "it.") % {"number": article.number, "incident": incident.number})
        return redirect("knowledge:article_edit", number=article.number)
    messages.info(request, _("This incident already has a candidate article."))
    return redirect(article.get_absolute_url())


# --- self-help (requesters and client contacts; staff may look too) ------------------------------------------

@login_required
@page_errors
@require_GET
def self_help_list(request: HttpRequest) -> HttpResponse:
    """Published self-help articles of the viewer's organisation; with text, the best search hits."""
    q = (request.GET.get("q") or "").replace("\x00", "").strip()[:200]
    page = selectors.self_help_list(visible_to=_me(request), q=q, limit=settings.OPSDESK_PAGE_SIZE,
                                    cursor=request.GET.get("cursor") or None)
    return render(request, "knowledge/self_help_list.html", {"page": page, "q": q})


@login_required
@page_errors
@require_GET
def self_help_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One published self-help article, with "this solved it"."""
    article = selectors.article_get(number=number, visible_to=_me(request))
    if article.status != ArticleStatus.PUBLISHED or article.audience != Audience.REQUESTER:
        raise NotFound(code="article_not_found")
    return render(request, "knowledge/self_help_detail.html", {"article": article})
