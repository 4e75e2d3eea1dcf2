"""SLA pages: policies (list, detail with monthly attainment, edit, create from the defaults) and the
administrators' alert list. Thin: reads through selectors, writes through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, PermissionDenied, ValidationError
from opsdesk.core.http import page_errors, staff_only
from opsdesk.incidents.choices import Level

from . import selectors, services
from .choices import Metric
from .forms import PolicyCreateForm, PolicyForm
from .models import SlaAlert


@login_required
@page_errors
@staff_only
@require_GET
def policy_list(request: HttpRequest) -> HttpResponse:
    """Every policy the viewer may read; contracts still without one, for those who may give them one."""
    contracts = selectors.contracts_without_policy(user=request.user)
    return render(request, "sla/policy_list.html", {
        "policies": selectors.policy_list(visible_to=request.user),
        "create_form": PolicyCreateForm(contracts=contracts) if contracts else None,
        "is_admin": selectors.can_admin_sla(request.user),
    })


@login_required
@page_errors
@staff_only
@require_POST
def policy_create(request: HttpRequest) -> HttpResponse:
    """Create a contract's policy from the default tables (tier and preset chosen on the list page)."""
    contracts = selectors.contracts_without_policy(user=request.user)
    form = PolicyCreateForm(request.POST, contracts=contracts)
    if form.is_valid():
        try:
            contract = selectors.editable_contract(code=form.cleaned_data.get("contract") or "", user=request.user)
            policy = services.sla_policy_create(by=request.user, contract=contract, tier=form.cleaned_data["tier"],
                                                preset=form.cleaned_data["preset"])
        except ValidationError as exc:
            form.apply_service_errors(exc)
        except NotFound:
            form.add_error("contract", _("Choose a contract."))
        else:
            messages.success(request, _("Policy “%(name)s” created.") % {"name": policy.name})
            return redirect(policy.get_absolute_url())
    return render(request, "sla/policy_list.html", {
        "policies": selectors.policy_list(visible_to=request.user), "create_form": form,
        "is_admin": selectors.can_admin_sla(request.user)}, status=422)


@login_required
@page_errors
@staff_only
@require_GET
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A policy: its settings, targets, and the contract's attainment in a month (`?month=YYYY-MM`)."""
    policy = selectors.policy_get(pk=pk, visible_to=request.user)
    targets = selectors.policy_targets(policy=policy)
    general = {(t.level, t.metric): t for t in targets if t.category_id is None}
    grid = [{"level": level, "label": Level(level).label,
             "cells": [general.get((level, metric)) for metric in Metric.values]} for level in Level.values]
    month_value = (request.GET.get("month") or "").strip()[:7] or f"{timezone.localdate():%Y-%m}"
    month_error = ""
    rows = None
    try:
        month = selectors.parse_month(month_value)
        rows = selectors.attainment(contract=policy.contract, month=month, visible_to=request.user)
    except ValidationError as exc:
        month_error = exc.fields.get("month", "")
    return render(request, "sla/policy_detail.html", {
        "policy": policy, "grid": grid, "metrics": Metric.choices,
        "overrides": [t for t in targets if t.category_id is not None],
        "can_edit": selectors.can_edit_policy(request.user, policy.contract_id),
        "month": month_value, "month_error": month_error, "attainment": rows,
    }, status=422 if month_error else 200)


@login_required
@page_errors
@staff_only
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a policy; on an error the form comes back with the typed values and nothing saved."""
    policy = selectors.policy_get(pk=pk, visible_to=request.user)
    if not selectors.can_edit_policy(request.user, policy.contract_id):
        raise PermissionDenied(_("Only the contract's project manager or a system administrator may change "
                                 "its SLA policy."))
    targets = selectors.policy_targets(policy=policy)
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST, policy=policy, targets=targets)
        if form.is_valid():
            reapply = bool(form.cleaned_data.get("reapply"))
            try:
                services.sla_policy_update(policy=policy, by=request.user, settings=form.settings_data(),
                                           targets=form.targets_data(), reapply=reapply)
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("Policy saved; running tickets are being brought in line.") if reapply
                                 else _("Policy saved; it applies to tickets logged from now on."))
                return redirect(policy.get_absolute_url())
        status = 422
        messages.error(request, _("The policy was not saved: see the messages by the fields."))
    else:
        form = PolicyForm(policy=policy, targets=targets)
    return render(request, "sla/policy_edit.html", {"policy": policy, "form": form, "metrics": Metric.choices},
                  status=status)


@login_required
@page_errors
@staff_only
@require_POST
def policy_activate(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a policy (tier) in effect for its contract's new tickets."""
    policy = selectors.policy_get(pk=pk, visible_to=request.user)
    services.sla_policy_activate(policy=policy, by=request.user)
    messages.success(request, _("“%(name)s” is now in effect for new tickets.") % {"name": policy.name})
    return redirect(policy.get_absolute_url())


@login_required
@page_errors
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    """SLA alerts for administrators (years without a holiday arrangement reached by running clocks)."""
    show_all = request.GET.get("all") == "1"
    return render(request, "sla/alert_list.html", {
        "alerts": selectors.alert_list(viewer=request.user, include_resolved=show_all), "show_all": show_all})


@login_required
@page_errors
@require_POST
def alert_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    alert = one_or_none(SlaAlert.objects.filter(pk=pk))
    if alert is None or not selectors.can_admin_sla(request.user):
        raise NotFound()
    services.sla_alert_resolve(alert=alert, by=request.user)
    messages.success(request, _("Alert marked as resolved."))
    return redirect("sla:alert_list")
