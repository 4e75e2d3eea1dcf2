"""The page side of a workflow action, the same for every procedure: build the action forms of a detail page
from `describe_actions`, and handle the POST of one of them (version check, field errors shown by the fields,
409 with the current state, 403 for a refused role), so each app's views stay a few lines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .errors import Conflict, PermissionDenied, ValidationError
from .workflow import Workflow, describe_actions

DetailRenderer = Callable[..., HttpResponse]  # (record, *, action_errors=(name, form) | None, status=int)


def action_forms(workflow: Workflow, record: Any, user: Any,
                 action_errors: tuple[str, Any] | None = None) -> list[dict[str, Any]]:
    """One entry per action the viewer may take now: its description, its form, and whether it is open."""
    from opsdesk.incidents.forms import ActionForm

    out = []
    for action in describe_actions(workflow, record, user):
        if action_errors and action_errors[0] == action["name"]:
            form, is_open = action_errors[1], True
            form.action = action
        else:
            form, is_open = ActionForm(action, initial={"version": record.version}), False
        out.append({"action": action, "form": form, "open": is_open})
    return out


def take_action(request: HttpRequest, *, workflow: Workflow, record: Any, action: str,
                act: Callable[..., Any], render_detail: DetailRenderer,
                reload: Callable[[], Any]) -> HttpResponse:
    """Handle the POST of an action form: `act(record=…, action=…, by=…, data=…, version=…)` is the app's
    service; `render_detail(record, action_errors=…, status=…)` renders its detail page; `reload()` reads the
    record afresh after a conflict."""
    from opsdesk.incidents.forms import ActionForm

    user = request.user
    spec = next((a for a in describe_actions(workflow, record, user) if a["name"] == action),
                None) or {"name": action, "label": action, "fields": []}
    form = ActionForm(spec, request.POST)
    if not form.is_valid():
        return render_detail(record, action_errors=(action, form), status=422)
    try:
        act(record, action=action, by=user, data=form.service_data(), version=form.cleaned_data.get("version"))
    except Conflict as exc:
        messages.warning(request, _("%(reason)s The page now shows the current state.") % {"reason": exc.message})
        return render_detail(reload(), status=409)
    except ValidationError as exc:
        form.apply_service_errors(exc)
        messages.error(request, _("The action could not be taken: see the messages by the fields."))
        return render_detail(record, action_errors=(action, form), status=422)
    except PermissionDenied as exc:
        messages.error(request, exc.message)
        return render_detail(record, status=403)
    messages.success(request, _("Done: %(action)s.") % {"action": spec["label"]})
    return redirect(record.get_absolute_url())
