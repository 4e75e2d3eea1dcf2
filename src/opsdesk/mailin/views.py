"""E-mail intake pages for a contract's agents, project managers and system administrators: the inbound-mail
log with its quarantine (details, raw download, retry, discard) and the mailboxes (list, create, edit, test
the connection). Thin: reads through selectors, writes through services."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.http import page_errors, staff_only

from . import imap, selectors, services
from .choices import Outcome
from .forms import DiscardForm, MailboxForm, MessageFilterForm, RetryForm

PAGE_SIZE = 50


def mail_managers_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Whoever manages no contract's mail finds no such pages (404)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.can_see_mail_pages(request.user):
            raise NotFound()
        return view(request, *args, **kwargs)

    return wrapper


@login_required
@page_errors
@staff_only
@mail_managers_only
@require_GET
def message_list(request: HttpRequest) -> HttpResponse:
    """The inbound-mail log, newest first; `?outcome=quarantined` is the quarantine list."""
    contracts = selectors.managed_contracts(user=request.user)
    form = MessageFilterForm(request.GET, contracts=contracts)
    filters = selectors.MessageFilters.parse(request.GET)
    page = selectors.message_page(visible_to=request.user, filters=filters, cursor=request.GET.get("cursor"),
                                  limit=PAGE_SIZE)
    return render(request, "mailin/message_list.html", {"form": form, "page": page, "filters": filters,
                                                         "Outcome": Outcome})


def _retryable(message: Any) -> bool:
    return message.outcome in services.RETRYABLE


@login_required
@page_errors
@staff_only
@mail_managers_only
@require_GET
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One received message: headers, outcome and reason, the decoded text, and what can be done with it."""
    message = selectors.message_get(pk=pk, visible_to=request.user, with_raw=True)
    return render(request, "mailin/message_detail.html", _detail_context(message))


def _detail_context(message: Any, **extra: Any) -> dict[str, Any]:
    from .parsing import MalformedMessage, parse_message

    try:
        parsed = parse_message(bytes(message.raw))
    except MalformedMessage:
        parsed = None
    people = list(selectors.contract_people(contract_id=message.contract_id)) if _retryable(message) else []
    context = {"message": message, "parsed": parsed, "retryable": _retryable(message),
               "retry_form": RetryForm(people=people), "discard_form": DiscardForm()}
    context.update(extra)
    return context


@login_required
@page_errors
@staff_only
@mail_managers_only
@require_GET
def message_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The message exactly as received, as an .eml download."""
    message = selectors.message_get(pk=pk, visible_to=request.user, with_raw=True)
    response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@page_errors
@staff_only
@mail_managers_only
@require_POST
def message_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Process a quarantined or rejected message again (optionally as one of the contract's people)."""
    message = selectors.message_get(pk=pk, visible_to=request.user, with_raw=True)
    people = list(selectors.contract_people(contract_id=message.contract_id))
    form = RetryForm(request.POST, people=people)
    form.is_valid()
    username = (form.cleaned_data.get("as_user") or "").strip()
    as_user = None
    try:
        if username:
            as_user = one_or_none(selectors.contract_people(contract_id=message.contract_id)
                                  .filter(username=username))
            if as_user is None:
                raise ValidationError(fields={"as_user": _("Choose one of the contract's people.")})
        result = services.inbound_retry(message=message, by=request.user, as_user=as_user)
    except ValidationError as exc:
        form.apply_service_errors(exc)
        return render(request, "mailin/message_detail.html", _detail_context(message, retry_form=form), status=422)
    if result.outcome in (Outcome.CREATED, Outcome.APPENDED):
        messages.success(request, _("Processed: %(number)s.") % {"number": result.incident_number})
    else:
        messages.warning(request, _("Processed again: %(outcome)s — %(reason)s") % {
            "outcome": Outcome(result.outcome).label, "reason": result.reason})
    return redirect("mailin:message_detail", pk=message.pk)


@login_required
@page_errors
@staff_only
@mail_managers_only
@require_POST
def message_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Give up on a quarantined or rejected message, with the reason."""
    message = selectors.message_get(pk=pk, visible_to=request.user, with_raw=True)
    form = DiscardForm(request.POST)
    form.is_valid()
    try:
        services.inbound_discard(message=message, by=request.user, reason=form.cleaned_data.get("reason") or "")
    except ValidationError as exc:
        form.apply_service_errors(exc)
        return render(request, "mailin/message_detail.html", _detail_context(message, discard_form=form),
                      status=422)
    messages.success(request, _("Message discarded."))
    return redirect("mailin:message_detail", pk=message.pk)


@login_required
@page_errors
@staff_only
@mail_managers_only
@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    """The mailboxes of the contracts the viewer manages, with when they were last read and the last error."""
    return render(request, "mailin/mailbox_list.html", {"mailboxes": selectors.mailbox_list(visible_to=request.user)})


@login_required
@page_errors
@staff_only
@mail_managers_only
@require_http_methods(["GET", "POST"])
def mailbox_create(request: HttpRequest) -> HttpResponse:
    contracts = selectors.managed_contracts(user=request.user)
    status = 200
    if request.method == "POST":
        form = MailboxForm(request.POST, contracts=contracts)
        form.is_valid()
        code = form.cleaned_data.get("contract") or ""
        contract = next((c for c in contracts if c.code == code), None)
        if contract is None:
            form.add_error("contract", _("Choose a contract."))
        else:
            try:
                mailbox = services.mailbox_create(by=request.user, contract=contract, data=form.cleaned_data)
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("Mailbox “%(name)s” added.") % {"name": mailbox.name})
                return redirect("mailin:mailbox_list")
        status = 422
    else:
        form = MailboxForm(contracts=contracts)
    return render(request, "mailin/mailbox_form.html", {"form": form, "mailbox": None}, status=status)


@login_required
@page_errors
@staff_only
@mail_managers_only
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = selectors.mailbox_get(pk=pk, visible_to=request.user)
    status = 200
    if request.method == "POST":
        form = MailboxForm(request.POST)
        form.is_valid()
        try:
            services.mailbox_update(by=request.user, mailbox=mailbox, data=form.cleaned_data)
        except ValidationError as exc:
            form.apply_service_errors(exc)
            status = 422
        else:
            messages.success(request, _("Mailbox saved."))
            return redirect("mailin:mailbox_list")
    else:
        form = MailboxForm(initial={k: getattr(mailbox, k) for k in services.MAILBOX_FIELDS})
    return render(request, "mailin/mailbox_form.html", {"form": form, "mailbox": mailbox}, status=status)


@login_required
@page_errors
@staff_only
@mail_managers_only
@require_POST
def mailbox_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Connect, log in and open the folder now; the answer comes back as a message on the list page."""
    mailbox = selectors.mailbox_get(pk=pk, visible_to=request.user)
    ok, detail = imap.mailbox_test(mailbox)
    if ok:
        messages.success(request, _("Connected to %(address)s: %(count)s messages in the folder.") % {
            "address": mailbox.address, "count": detail})
    else:
        messages.error(request, _("Cannot read %(address)s: %(error)s") % {"address": mailbox.address,
                                                                           "error": detail})
    return redirect("mailin:mailbox_list")


