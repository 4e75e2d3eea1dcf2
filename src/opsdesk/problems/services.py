"""Every write to problems: creation (on its own or from incidents), procedure actions, linking and unlinking
incidents, comments and notes, resolving the linked incidents on solve, and publishing as knowledge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.audit import audit_record, snapshot
from opsdesk.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import Activity, ActivityKind
from opsdesk.core.numbering import next_number
from opsdesk.core.workflow import perform
from opsdesk.followups.services import followup_open
from opsdesk.incidents.choices import OPEN_STATUSES as INCIDENT_OPEN_STATUSES
from opsdesk.incidents.choices import IncidentStatus, Level
from opsdesk.incidents.models import Incident, IncidentCategory
from opsdesk.incidents.selectors import incident_queryset
from opsdesk.incidents.services import incident_act
from opsdesk.incidents.workflow import INCIDENT_WORKFLOW

from .choices import OPEN_STATUSES, ProblemStatus
from .models import SYSTEM_MAX, TITLE_MAX, Problem, ProblemIncident
from .workflow import INVESTIGATORS, NEEDS_ROOT_CAUSE, PROBLEM_WORKFLOW

DESCRIPTION_MAX = 20000
MAX_INCIDENTS = 50
CREATE_AUDIT_FIELDS = ("number", "title", "status", "level", "contract", "category", "affected_system", "owner",
                       "assignee")
# Incidents the solve of their problem moves on: those still being worked (the resolve action's sources).
RESOLVABLE = (IncidentStatus.ACCEPTED, IncidentStatus.IN_PROGRESS, IncidentStatus.ESCALATED)
# Incidents already past resolution: nothing to do for them.
ALREADY_RESOLVED = (IncidentStatus.AWAITING_CONFIRMATION, IncidentStatus.RESOLVED, IncidentStatus.CLOSED,
                    IncidentStatus.REJECTED)
# Publishing as knowledge: the cause is known (and a workaround or the permanent solution recorded).
PUBLISHABLE = (ProblemStatus.KNOWN_ERROR, ProblemStatus.SOLVED)


def _ct_id(model: type[Any]) -> int:
    return ContentType.objects.get_for_model(model).pk


def _text(errors: dict[str, str], name: str, value: Any, *, required: bool = False,
          max_length: int = DESCRIPTION_MAX) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        errors[name] = _("Null characters are not allowed.")
    elif required and not text:
        errors[name] = _("This field is required.")
    elif len(text) > max_length:
        errors[name] = _("At most %(n)d characters (you gave %(m)d).") % {"n": max_length, "m": len(text)}
    return text


def _level(errors: dict[str, str], value: Any) -> int:
    try:
        level = int(value) if value not in (None, "") and not isinstance(value, bool) else 0
    except (TypeError, ValueError):
        level = 0
    if level not in Level.values:
        errors["level"] = _("The level must be 1, 2, 3 or 4.")
    return level


def _require_investigator(by: User, problem: Problem) -> None:
    roles = access_for(by).roles_on(problem.contract_id)
    if problem.contract_id not in access_for(by).staff_contract_ids:
        raise NotFound(_("There is no problem %(number)s.") % {"number": problem.number}, code="problem_not_found")
    if not roles & INVESTIGATORS:
        raise PermissionDenied(_("Only the engineers, problem reviewers and project manager of the contract may "
                                 "do this."))


def add_system_note(*, problem: Problem, action: str, body: str = "", data: dict[str, Any] | None = None,
                    actor: User | None = None) -> Activity:
    """A timeline entry on the problem written by the system (or for `actor`) as part of another write."""
    return Activity.objects.create(content_type_id=_ct_id(Problem), object_id=problem.pk, kind=ActivityKind.SYSTEM,
                                   action=action, actor=actor, body=body, data=data or {}, internal=True)


def _incident_note(incident: Incident, *, by: User | None, action: str, body: str, problem: Problem) -> None:
    """An internal note on the incident's timeline (problems are staff business: clients never read it)."""
    Activity.objects.create(content_type_id=_ct_id(Incident), object_id=incident.pk, kind=ActivityKind.NOTE,
                            action=action, actor=by if getattr(by, "pk", None) else None, body=body, internal=True,
                            data={"problem": problem.number})


# --- creation ------------------------------------------------------------------------------------------------

def problem_create(*, by: User, contract: Contract | None, title: str, description: str = "",
                   category: IncidentCategory | None = None, affected_system: str = "",
                   level: int | str | None = Level.L3) -> Problem:
    """Open a problem on a contract where `by` investigates (second line, engineer, reviewer, PM); `by` becomes
    its problem manager (owner). Every problem with the input is reported at once, per field; nothing is
    written unless all is valid."""
    errors: dict[str, str] = {}
    title = _text(errors, "title", title, required=True, max_length=TITLE_MAX)
    description = _text(errors, "description", description)
    affected_system = _text(errors, "affected_system", affected_system, max_length=SYSTEM_MAX)
    level_value = _level(errors, level)
    if category is not None and not category.is_active:
        errors["category"] = _("This category is no longer in use.")
    if contract is None:
        errors["contract"] = _("Unknown contract.")
    elif not contract.is_active:
        errors["contract"] = _("This contract is not active.")
    elif not access_for(by).roles_on(contract.pk):
        errors["contract"] = _("Unknown contract.")  # not yours: indistinguishable from absent
    elif not access_for(by).roles_on(contract.pk) & INVESTIGATORS:
        errors["contract"] = _("Only the engineers, problem reviewers and project manager of the contract may "
                               "open problems.")
    if errors:
        raise ValidationError(fields=errors)
    assert contract is not None
    with transaction.atomic():
        problem = Problem.objects.create(
            number=next_number("PRB"), contract=contract, organisation_id=contract.organisation_id, title=title,
            description=description, category=category, affected_system=affected_system, level=level_value,
            created_by=by, owner=by)
        Activity.objects.create(content_type_id=_ct_id(Problem), object_id=problem.pk, kind=ActivityKind.CREATED,
                                to_status=problem.status, actor=by, internal=True, data={"level": level_value})
        audit_record(actor=by, action="problem.create", instance=problem,
                     after=snapshot(problem, CREATE_AUDIT_FIELDS))
    return problem


def _check_linkable(errors: dict[str, str], incidents: Sequence[Incident], *, contract_id: int | None,
                    field: str = "incidents") -> None:
    """Incidents that may join a problem: on its contract, still open, not held by another open problem."""
    for inc in incidents:
        if contract_id is not None and inc.contract_id != contract_id:
            errors[field] = _("%(number)s is on another contract: a problem groups the incidents of one "
                              "contract.") % {"number": inc.number}
            return
        if inc.status not in INCIDENT_OPEN_STATUSES:
            errors[field] = _("%(number)s is no longer open (%(status)s).") % {
                "number": inc.number, "status": INCIDENT_WORKFLOW.status_label(inc.status)}
            return
    held = (ProblemIncident.objects.filter(incident__in=[i.pk for i in incidents], active=True)
            .select_related("incident", "problem").order_by("id").first())
    if held is not None:
        errors[field] = _("%(incident)s is already linked to the open problem %(problem)s.") % {
            "incident": held.incident.number, "problem": held.problem.number}


def _link(problem: Problem, incident: Incident, by: User) -> ProblemIncident:
    """The link row and both timeline notes (inside the caller's transaction); a race is a Conflict."""
    try:
        with transaction.atomic():
            link = ProblemIncident.objects.create(problem=problem, incident=incident, linked_by=by)
    except IntegrityError:
        raise Conflict(_("%(incident)s was linked to an open problem in the meantime.") % {
            "incident": incident.number}, code="already_linked") from None
    _incident_note(incident, by=by, action="problem_linked", problem=problem,
                   body=_("Linked to problem %(number)s: %(title)s") % {"number": problem.number,
                                                                        "title": problem.title})
    Activity.objects.create(content_type_id=_ct_id(Problem), object_id=problem.pk, kind=ActivityKind.SYSTEM,
                            action="incident_linked", actor=by, internal=True,
                            data={"incident": incident.number}, body=incident.number)
    return link


def problem_create_from_incidents(*, by: User, incidents: Sequence[Incident], title: str, description: str = "",
                                  category: IncidentCategory | None = None, affected_system: str = "",
                                  level: int | str | None = None) -> Problem:
    """Open a problem from one or more incidents and link them (each gets a note on its timeline).

    The incidents must be visible to `by`, all on one contract, still open (escalated ones included) and not
    linked to another open problem. Category, affected system and description default to the first
    incident's, the level to the most severe one's. All or nothing: any error leaves nothing written."""
    errors: dict[str, str] = {}
    unique = list({inc.pk: inc for inc in incidents}.values())
    if not unique:
        errors["incidents"] = _("Choose at least one incident.")
    elif len(unique) > MAX_INCIDENTS:
        errors["incidents"] = _("At most %(n)d incidents at once.") % {"n": MAX_INCIDENTS}
    else:
        visible = set(incident_queryset(visible_to=by).filter(pk__in=[i.pk for i in unique])
                      .values_list("pk", flat=True))
        hidden = [i.number for i in unique if i.pk not in visible]
        if hidden:
            errors["incidents"] = _("There is no incident %(number)s.") % {"number": hidden[0]}
        else:
            _check_linkable(errors, unique, contract_id=unique[0].contract_id)
    if errors:
        raise ValidationError(fields=errors)
    first = unique[0]
    with transaction.atomic():
        problem = problem_create(
            by=by, contract=Contract.objects.filter(pk=first.contract_id).first(), title=title,
            description=description or first.description or first.symptom,
            category=category if category is not None else first.category,
            affected_system=affected_system or first.affected_system,
            level=level if level not in (None, "") else min(i.level for i in unique))
        for inc in unique:
            _link(problem, inc, by)
        audit_record(actor=by, action="problem.link_incidents", instance=problem,
                     after={"incidents": [i.number for i in unique]})
    return problem


# --- the procedure ---------------------------------------------------------------------------------------------

def problem_act(*, problem: Problem, action: str, by: User, data: dict[str, Any] | None = None,
                version: int | None = None) -> Problem:
    """Take an action of the problem procedure (investigate, mark_known_error, solve, close …); see workflow.py.

    Recording a known error or solving needs the root cause: given now, or recorded before."""
    data = dict(data or {})
    given = data.get("root_cause")
    if action in NEEDS_ROOT_CAUSE and not (isinstance(given, str) and given.strip()):
        if problem.root_cause.strip():
            data["root_cause"] = problem.root_cause  # left empty: the engine would blank the recorded one
        else:
            act = PROBLEM_WORKFLOW.action(action)
            # The engine's checks first (version, state, role), so a refusal never looks like a missing field.
            fresh = version is None or int(version) == problem.version
            if fresh and problem.status in act.sources and PROBLEM_WORKFLOW.roles_of(by, problem) & act.roles:
                raise ValidationError(fields={"root_cause": _("Record the root cause first.")})
    result: Problem = perform(PROBLEM_WORKFLOW, record=problem, action=action, by=by, data=data, version=version)
    return result


def resolve_linked_incidents(*, problem: Problem, by: User) -> tuple[list[str], list[dict[str, str]]]:
    """Resolve, with the problem's permanent solution, every actively linked incident still being worked,
    through the incident procedure (incident_act "resolve": the requester is asked to confirm and notified;
    closing follows by the normal confirmation or auto-close). Runs inside the solve's transaction. An incident
    that cannot be moved (new, on hold, or `by` may not resolve it) is left as it is and reported.

    Returns the numbers resolved and, for the ones left, their number and why."""
    resolved: list[str] = []
    left: list[dict[str, str]] = []
    ids = ProblemIncident.objects.filter(problem=problem, active=True).values_list("incident_id", flat=True)
    for inc in Incident.objects.filter(pk__in=list(ids)).select_related("contract").order_by("id"):
        if inc.status in ALREADY_RESOLVED:
            continue
        if inc.status not in RESOLVABLE:
            left.append({"number": inc.number, "reason": _("not resolvable while “%(status)s”") % {
                "status": INCIDENT_WORKFLOW.status_label(inc.status)}})
            continue
        try:
            with transaction.atomic():
                incident_act(incident=inc, action="resolve", by=by, data={"solution": problem.solution})
                follow_up = followup_open(ticket=inc, by=by)
                _incident_note(inc, by=by, action="problem_solved", problem=problem,
                               body=_("Resolved with the permanent solution of problem %(number)s; follow-up "
                                      "%(follow_up)s verifies it with the requester.") % {
                                   "number": problem.number, "follow_up": follow_up.number})
        except DomainError as exc:
            left.append({"number": inc.number, "reason": exc.message})
        else:
            resolved.append(inc.number)
    return resolved, left


# --- follow-up outcome of an incident (registered in apps.py) ---------------------------------------------

def incident_followup_confirmed(incident: Incident, follow_up: Any, by: User) -> None:
    """The requester confirmed the solution in the follow-up: confirm and close the incident (as the system,
    naming the follow-up and who closed it). An incident already closed another way is left as it is."""
    incident.refresh_from_db()
    if incident.status == IncidentStatus.AWAITING_CONFIRMATION:
        incident_act(incident=incident, action="confirm", by=None,  # type: ignore[arg-type]
                     data={"comment": _("Confirmed in follow-up %(number)s.") % {"number": follow_up.number}})
    if incident.status == IncidentStatus.RESOLVED:
        incident_act(incident=incident, action="close", by=None,  # type: ignore[arg-type]
                     data={"comment": _("Closed after follow-up %(number)s by %(name)s.") % {
                         "number": follow_up.number, "name": by.display_name}})


def incident_followup_sent_back(incident: Incident, follow_up: Any, by: User, reason: str) -> None:
    """The user was not satisfied: reopen the incident and, if its problem was solved, reopen the problem too
    (the tender: "直接将事件重新转回到问题管理流程，继续处理")."""
    incident.refresh_from_db()
    text = _("Sent back in follow-up %(number)s: %(reason)s") % {"number": follow_up.number, "reason": reason}
    if incident.status in (IncidentStatus.AWAITING_CONFIRMATION, IncidentStatus.RESOLVED):
        incident_act(incident=incident, action="reopen", by=None,  # type: ignore[arg-type]
                     data={"reason": text[:2000]})
    links = ProblemIncident.objects.filter(incident=incident, active=True).select_related("problem")
    for link in links:
        if link.problem.status == ProblemStatus.SOLVED:
            problem_act(problem=link.problem, action="reopen", by=None,  # type: ignore[arg-type]
                        data={"reason": text[:2000]})


# --- linking -----------------------------------------------------------------------------------------------

def problem_link_incident(*, problem: Problem, incident: Incident, by: User) -> ProblemIncident:
    """Link one more incident to an open problem (same contract, incident still open, not held by another
    open problem); both timelines note it, and it is audited."""
    _require_investigator(by, problem)
    if problem.status not in OPEN_STATUSES:
        raise Conflict(_("Incidents can only be linked to an open problem."), code="invalid_state")
    if not incident_queryset(visible_to=by).filter(pk=incident.pk).exists():
        raise ValidationError(fields={"incident": _("There is no incident %(number)s.") % {
            "number": incident.number}})
    errors: dict[str, str] = {}
    if ProblemIncident.objects.filter(problem=problem, incident=incident).exists():
        errors["incident"] = _("%(number)s is already linked to this problem.") % {"number": incident.number}
    else:
        _check_linkable(errors, [incident], contract_id=problem.contract_id, field="incident")
    if errors:
        raise ValidationError(fields=errors)
    with transaction.atomic():
        link = _link(problem, incident, by)
        audit_record(actor=by, action="problem.link_incident", instance=problem, after={"incident": incident.number})
    return link


def problem_unlink_incident(*, problem: Problem, incident: Incident, by: User) -> None:
    """Remove an incident from an open problem; both timelines note it, and it is audited."""
    _require_investigator(by, problem)
    if problem.status not in OPEN_STATUSES:
        raise Conflict(_("Incidents can only be unlinked from an open problem."), code="invalid_state")
    with transaction.atomic():
        deleted, _rows = ProblemIncident.objects.filter(problem=problem, incident=incident).delete()
        if not deleted:
            raise NotFound(_("%(number)s is not linked to this problem.") % {"number": incident.number},
                           code="link_not_found")
        _incident_note(incident, by=by, action="problem_unlinked", problem=problem,
                       body=_("Unlinked from problem %(number)s.") % {"number": problem.number})
        Activity.objects.create(content_type_id=_ct_id(Problem), object_id=problem.pk, kind=ActivityKind.SYSTEM,
                                action="incident_unlinked", actor=by, internal=True,
                                data={"incident": incident.number}, body=incident.number)
        audit_record(actor=by, action="problem.unlink_incident", instance=problem,
                     before={"incident": incident.number})


# --- comments -------------------------------------------------------------------------------------------------

def problem_comment(*, problem: Problem, by: User, body: str, internal: bool = False) -> Activity:
    """A comment or an internal note on the problem's timeline (the contract's staff only)."""
    if problem.contract_id not in access_for(by).staff_contract_ids:
        raise NotFound(_("There is no problem %(number)s.") % {"number": problem.number}, code="problem_not_found")
    errors: dict[str, str] = {}
    body = _text(errors, "body", body, required=True)
    if errors:
        raise ValidationError(fields=errors)
    with transaction.atomic():
        activity = Activity.objects.create(
            content_type_id=_ct_id(Problem), object_id=problem.pk,
            kind=ActivityKind.NOTE if internal else ActivityKind.COMMENT, actor=by, body=body, internal=internal)
        audit_record(actor=by, action="problem.note" if internal else "problem.comment", instance=problem,
                     after={"activity": activity.pk, "internal": internal})
    return activity


# --- knowledge -------------------------------------------------------------------------------------------------

def problem_publish_knowledge(*, problem: Problem, by: User) -> tuple[Any, bool]:
    """Draft a knowledge article from a known-error or solved problem: symptom = description, cause = root
    cause, solution = the permanent solution (the workaround while there is none), linked back through
    `problem.article`. Only service staff who write knowledge (knowledge.workflow.AUTHORS). One article per
    problem: when it exists already it is returned (created False)."""
    from opsdesk.knowledge.models import SYSTEMS_MAX
    from opsdesk.knowledge.services import article_create
    from opsdesk.knowledge.workflow import AUTHORS

    if problem.contract_id not in access_for(by).staff_contract_ids:
        raise NotFound(_("There is no problem %(number)s.") % {"number": problem.number}, code="problem_not_found")
    if not access_for(by).roles_on(problem.contract_id) & AUTHORS:
        raise PermissionDenied(_("Only the service staff of the contract may write knowledge articles."))
    if problem.article_id is not None:
        return problem.article, False
    if problem.status not in PUBLISHABLE:
        raise Conflict(_("Only a known error or a solved problem can be published as knowledge."),
                       code="invalid_state")
    solution = problem.solution or problem.workaround
    if problem.solution and problem.workaround:
        solution = "\n\n".join((problem.solution, _("Workaround: %(text)s") % {"text": problem.workaround}))
    with transaction.atomic():
        article = article_create(
            by=by, contract=problem.contract, title=problem.title, symptom=problem.description,
            cause=problem.root_cause, solution=solution, affected_systems=problem.affected_system[:SYSTEMS_MAX],
            keywords=problem.number, categories=[problem.category_id] if problem.category_id else [])
        moved = Problem.objects.filter(pk=problem.pk, article__isnull=True).update(
            article=article, version=F("version") + 1, updated_at=timezone.now())
        if moved != 1:
            raise Conflict(_("This problem was published as knowledge in the meantime."), code="already_published")
        problem.article = article
        problem.version += 1
        add_system_note(problem=problem, action="published_knowledge", actor=by, data={"article": article.number},
                        body=article.number)
        audit_record(actor=by, action="problem.publish_knowledge", instance=problem,
                     after={"article": article.number})
    return article, True

