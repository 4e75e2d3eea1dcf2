"""`opsdesk demo`: every role held, every state present, logins that work, and a second run that changes nothing."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import authenticate
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from opsdesk import cli
from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import Organisation, RoleGrant, User
from opsdesk.core.models import Activity, AuditEntry
from opsdesk.demo import load_demo
from opsdesk.incidents.choices import OPEN_STATUSES, IncidentStatus
from opsdesk.incidents.models import CallRecord, Incident, WorkOrder
from opsdesk.mailin.models import InboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def logins():
    return load_demo(incidents=40, seed=7)


def test_every_role_is_held_and_the_three_admins_are_different_people(logins):
    held = set(RoleGrant.objects.values_list("role", flat=True))
    assert held == set(Role.values)
    admins = {role: set(RoleGrant.objects.filter(role=role).values_list("user_id", flat=True))
              for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)}
    assert all(len(ids) == 1 for ids in admins.values())
    assert len(set().union(*admins.values())) == 3


def test_every_incident_status_is_present(logins):
    # + the one the demo's e-mail opens, + one reported on the portal when no ticket was open for mail replies
    assert Incident.objects.count() in (40 + 1, 40 + 2)
    assert set(Incident.objects.values_list("status", flat=True)) == set(IncidentStatus.values)


def test_logins_match_the_database_and_authenticate(logins):
    assert len({login["username"] for login in logins}) == len(logins)
    for login in logins:
        user = User.objects.get(username=login["username"])
        assert user.full_name == login["full_name"]
        assert (user.organisation.code if user.organisation else None) == login["organisation"]
        grants = sorted((g.role, g.contract.code) for g in user.grants.select_related("contract"))
        assert grants == sorted((r["role"], r["contract"]) for r in login["roles"])
        assert authenticate(username=login["username"], password=login["password"]) == user
    assert {r["role"] for login in logins for r in login["roles"]} == set(Role.values)
    assert Organisation.objects.filter(kind="client").count() >= 3


def test_incidents_went_through_the_services(logins):
    incident_type = ContentType.objects.get_for_model(Incident)
    for inc in Incident.objects.all():
        timeline = list(Activity.objects.filter(content_type=incident_type, object_id=inc.pk).order_by("id"))
        assert timeline[0].kind == "created"
        actions = [a for a in timeline if a.kind == "action"]
        # The timeline ends where the record is, one action row per change of state, one audit row per action.
        assert (actions[-1].to_status if actions else "new") == inc.status
        assert AuditEntry.objects.filter(object_type="incidents.incident", object_id=str(inc.pk),
                                         action__startswith="incident.").exclude(
            action__in=["incident.comment", "incident.note"]).count() == len(actions) + 1
        # Numbers agree with the (simulated) creation day, and history never lies in the future.
        assert inc.number[4:12] == timezone.localtime(inc.created_at).strftime("%Y%m%d")
        assert all(a.created_at >= inc.created_at for a in timeline)
        assert max(a.created_at for a in timeline) <= timezone.now()
    assert Incident.objects.filter(created_at__lt=timezone.now() - timezone.timedelta(days=30)).exists()
    assert not Incident.objects.filter(status=IncidentStatus.REJECTED, reject_reason="").exists()
    assert not Incident.objects.filter(status=IncidentStatus.CLOSED, solution="").exists()


def test_work_orders_come_from_dispatch():
    load_demo(incidents=120, seed=3)
    assert WorkOrder.objects.exists()
    for order in WorkOrder.objects.select_related("incident"):
        assert Activity.objects.filter(object_id=order.incident_id, action="dispatch").exists()


def test_second_run_changes_nothing_and_returns_the_same_logins(logins):
    counts = (Incident.objects.count(), User.objects.count(), AuditEntry.objects.count())
    again = load_demo(incidents=40, seed=7)
    assert again == logins
    assert (Incident.objects.count(), User.objects.count(), AuditEntry.objects.count()) == counts


def test_cli_demo_json_prints_the_logins(capsys):
    assert cli.main(["demo", "--json", "--incidents", "15", "--seed", "5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert isinstance(out, list) and out
    for login in out:
        assert set(login) >= {"username", "password", "organisation", "roles"}
        assert isinstance(login["username"], str) and isinstance(login["password"], str)
        assert login["organisation"] is None or isinstance(login["organisation"], str)
        for grant in login["roles"]:
            assert set(grant) == {"role", "contract"}
            assert grant["role"] in Role.values
    assert {g["role"] for login in out for g in login["roles"]} == set(Role.values)
    assert Incident.objects.count() == 15 + 1  # the one the demo's e-mail opens
    # Run twice: no error, same logins.
    assert cli.main(["demo", "--json", "--incidents", "15", "--seed", "5"]) == 0
    assert json.loads(capsys.readouterr().out) == out


def test_mail_and_calls_went_through_the_real_intake(logins):
    outcomes = dict(InboundMessage.objects.values_list("outcome", "subject"))
    assert set(outcomes) == {"created", "appended", "ignored", "quarantined"}
    created = Incident.objects.get(channel="email", title=outcomes["created"])
    assert "朱镕基路" in created.description  # GBK-labelled mail with a character GB2312 lacks
    assert CallRecord.objects.filter(outcome="answered", incident__isnull=True).exists()


def test_knowledge_articles_are_published_through_the_services_and_found_by_search(logins):
    from opsdesk.knowledge.choices import ArticleStatus, Audience
    from opsdesk.knowledge.models import ArticleVersion, KnowledgeArticle
    from opsdesk.search.selectors import SearchFilters, search

    published = KnowledgeArticle.objects.filter(status=ArticleStatus.PUBLISHED)
    assert published.count() >= 25
    assert {a.audience for a in published} == set(Audience.values)
    assert len({a.contract_id for a in published}) == 5  # every demo contract has some
    assert KnowledgeArticle.objects.filter(status=ArticleStatus.DRAFT).exists()
    assert KnowledgeArticle.objects.filter(status=ArticleStatus.IN_REVIEW).exists()
    for article in published.select_related("author", "reviewer"):
        assert article.reviewer is not None and article.reviewer.username == "pm"
        assert article.author.username.startswith("engineer")
        assert ArticleVersion.objects.filter(article=article).exists()
        assert AuditEntry.objects.filter(object_type="knowledge.knowledgearticle", object_id=str(article.pk),
                                         action="article.create").exists()
    assert ArticleVersion.objects.filter(revision=2).exists()  # one correction published later

    def found(username: str, q: str) -> set[str]:
        user = User.objects.get(username=username)
        hits = search(visible_to=user, filters=SearchFilters(q=q, types=["article"], limit=20))
        return {h.number for h in hits if not h.partial}

    # a requester of the tax bureau finds the printer self-help article; an engineer finds ORA-00600
    printer = KnowledgeArticle.objects.get(title__startswith="打印机显示“脱机”")
    assert printer.number in found("tax_user1", "打印机脱机")
    oracle = KnowledgeArticle.objects.get(title__contains="ORA-00600")
    assert oracle.number in found("dba", "ORA-00600")
    assert oracle.number not in found("tax_user1", "ORA-00600")  # engineer-only
    assert found("tax_user1", "ORA-00600") == set()


def test_problems_and_follow_ups_come_from_escalated_incidents(logins):
    from opsdesk.followups.models import FollowUp
    from opsdesk.problems.models import Problem, ProblemIncident

    statuses = set(Problem.objects.values_list("status", flat=True))
    assert {"investigating", "known_error", "solved"} <= statuses
    assert ProblemIncident.objects.filter(active=True).count() >= 3
    of_incidents = FollowUp.objects.filter(ticket_type__model="incident")
    assert set(of_incidents.values_list("status", flat=True)) == {"called_back", "closed"}
    closed = of_incidents.get(status="closed")
    assert Incident.objects.get(number=closed.ticket_number).status == "closed"


def test_confirmations_and_service_requests_wait_for_the_client_deciders(logins):
    from opsdesk.confirmations.models import Confirmation, TransferReport
    from opsdesk.core.approvals import pending_for
    from opsdesk.servicerequests.models import ServiceRequest

    assert set(Confirmation.objects.values_list("status", flat=True)) == {"in_report", "answered"}
    monthly = TransferReport.objects.get(kind="monthly")
    assert monthly.status == "submitted" and monthly.items.count() == 2
    assert set(ServiceRequest.objects.values_list("status", flat=True)) == {
        "follow_up", "staffing_review", "plan_review", "scheduled"}
    owner_steps = {p.number for p in pending_for(User.objects.get(username="tax_owner"))}
    assert monthly.number in owner_steps
    assert len(pending_for(User.objects.get(username="tax_leader"))) == 1


def test_the_tax_bureaus_cmdb_came_through_the_import_with_links_and_an_audit(logins):
    from opsdesk.cmdb.models import AffectedItem, ConfigurationAudit, ConfigurationItem, Relationship

    items = ConfigurationItem.objects.filter(contract__code="TAX-2026")
    assert items.count() >= 20 and Relationship.objects.filter(source__contract__code="TAX-2026").count() >= 25
    assert items.filter(ci_type__code="business_system").count() == 4
    assert AuditEntry.objects.filter(action="cmdb.import").count() == 1
    audit = ConfigurationAudit.objects.get()
    assert (audit.missing, audit.unexpected, audit.differing) == (1, 1, 1)
    open_on_tax = Incident.objects.filter(contract__code="TAX-2026", status__in=OPEN_STATUSES).count()
    assert AffectedItem.objects.count() == min(6, open_on_tax)
