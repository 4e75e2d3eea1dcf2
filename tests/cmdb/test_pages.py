"""CMDB pages (issue 7): list with filters and a query count that does not grow, the item page with its graph
data, impact list and tickets, the item form laid out by the type's attributes, relationships, the import page,
and linking items to incidents. Other contracts' items are 404; client people are sent to the portal."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from opsdesk.cmdb.models import AffectedItem, ConfigurationItem, Relationship
from opsdesk.core.models import Activity, AuditEntry
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_list_costs_the_same_queries_for_few_and_many_items(world, login, ci):
    page = login(world.engineer)
    for i in range(3):
        ci(f"srv-{i:02}", owner=world.engineer, location="A 机房")
    page.get("/cmdb/")
    few = _queries(page, "/cmdb/?type=server")
    for i in range(3, 30):
        ci(f"srv-{i:02}", owner=world.engineer2)
    many = _queries(page, "/cmdb/?type=server")
    assert few == many
    html = page.get("/cmdb/").content.decode()
    assert html.count('<tr data-key="') == 25 and 'rel="next"' in html


def test_filters_narrow_the_list_and_a_bad_one_says_why(world, login, ci):
    ci("srv-01")
    ci("db-01", "database", attributes={})
    page = login(world.engineer)
    html = page.get("/cmdb/?type=database").content.decode()
    assert 'data-key="db-01"' in html and 'data-key="srv-01"' not in html
    assert page.get("/cmdb/?status=exploded").status_code == 400


def test_the_item_page_shows_attributes_relationships_impact_and_graph_data(world, login, ci, relate):
    system = ci("sys-oa", "business_system", name="OA 系统")
    vm = ci("vm-oa", "virtual_machine", attributes={"hostname": "vm-oa", "cpu_cores": 8})
    host = ci("esx-01", attributes={"hostname": "esx-01"})
    relate(system, "runs_on", vm)
    relate(vm, "runs_on", host)
    page = login(world.engineer)
    html = page.get(f"/cmdb/{host.pk}/").content.decode()
    assert 'data-key="vm-oa"' in html and 'data-key="sys-oa"' in html  # impact, levels 1 and 2
    assert "OA 系统" in html.split('class="business-systems"')[1].split("</p>")[0]
    assert 'id="item-graph"' in html and "esx-01" in html
    graph = page.get(f"/cmdb/{host.pk}/graph/").json()
    assert {n["key"] for n in graph["nodes"]} == {"sys-oa", "vm-oa", "esx-01"}
    assert {(e["source"], e["target"], e["kind"]) for e in graph["edges"]} == {
        (system.pk, vm.pk, "runs_on"), (vm.pk, host.pk, "runs_on")}
    upstream = page.get(f"/cmdb/{system.pk}/impact/?direction=upstream&depth=1").content.decode()
    assert 'data-key="vm-oa"' in upstream and 'data-key="esx-01"' not in upstream


def test_other_contracts_items_are_404_and_clients_go_to_the_portal(world, login, ci):
    item = ci("srv-01")
    outsider = grant(UserFactory(username="eng_b"), "engineer", world.contract_b)
    for url in (f"/cmdb/{item.pk}/", f"/cmdb/{item.pk}/graph/", f"/cmdb/{item.pk}/impact/", f"/cmdb/{item.pk}/edit/"):
        assert login(outsider).get(url).status_code == 404
    assert login(world.requester_a).get("/cmdb/").status_code == 302


def test_the_form_lays_out_the_types_attributes_and_checks_them(world, login):
    page = login(world.engineer)
    html = page.get("/cmdb/new/?type=server&contract=TAX-2026").content.decode()
    assert 'name="attr_hostname"' in html and 'name="attr_cpu_cores"' in html
    bad = page.post("/cmdb/new/", {"contract": "TAX-2026", "type": "server", "key": "srv-9", "name": "九号",
                                   "status": "active", "importance": "3", "attr_cpu_cores": "很多"})
    assert bad.status_code == 422 and ConfigurationItem.objects.count() == 0
    body = bad.content.decode()
    assert 'id="id_attr_hostname-errors"' in body and 'id="id_attr_cpu_cores-errors"' in body
    good = page.post("/cmdb/new/", {"contract": "TAX-2026", "type": "server", "key": "srv-9", "name": "九号",
                                    "status": "active", "importance": "2", "attr_hostname": "srv-9",
                                    "attr_cpu_cores": "16", "owner": "engineer"})
    item = ConfigurationItem.objects.get(key="srv-9")
    assert good.status_code == 302 and good["Location"] == f"/cmdb/{item.pk}/"
    assert item.attributes == {"hostname": "srv-9", "cpu_cores": 16} and item.owner == world.engineer


def test_editing_from_a_stale_page_changes_nothing(world, login, ci):
    item = ci("srv-01")
    page = login(world.engineer)
    form = {"name": "新名字", "status": "active", "importance": "3", "attr_hostname": "srv-01", "version": 1}
    assert page.post(f"/cmdb/{item.pk}/edit/", form).status_code == 302
    form["name"] = "又改了"
    stale = page.post(f"/cmdb/{item.pk}/edit/", form)
    assert stale.status_code == 409
    item.refresh_from_db()
    assert item.name == "新名字" and item.version == 2


def test_relationships_are_added_by_key_and_removed(world, login, ci):
    vm = ci("vm-01", "virtual_machine")
    host = ci("esx-01")
    page = login(world.engineer)
    response = page.post(f"/cmdb/{vm.pk}/relationships/", {"kind": "runs_on", "direction": "out", "other": "esx-01"})
    assert response.status_code == 302
    relation = Relationship.objects.get()
    assert (relation.source, relation.kind, relation.target) == (vm, "runs_on", host)
    missing = page.post(f"/cmdb/{vm.pk}/relationships/", {"kind": "runs_on", "direction": "out", "other": "nope"})
    assert missing.status_code == 422 and Relationship.objects.count() == 1
    assert page.post(f"/cmdb/{host.pk}/relationships/{relation.pk}/remove/").status_code == 302
    assert Relationship.objects.count() == 0
    assert AuditEntry.objects.filter(action="cmdb.relationship_delete").count() == 1


def test_the_import_page_shows_a_dry_run_then_imports(world, login):
    wb = Workbook()
    wb.active.title = "配置项"
    wb.active.append(["服务合同", "类型", "标识", "名称", "主机名"])
    wb.active.append(["TAX-2026", "server", "srv-x", "导入的服务器", "srv-x"])
    wb.active.append(["TAX-2026", "nonsense", "bad", "坏行", ""])
    buffer = io.BytesIO()
    wb.save(buffer)
    page = login(world.engineer)

    def upload(dry_run: bool):
        data = {"file": io.BytesIO(buffer.getvalue())}
        data["file"].name = "ci.xlsx"
        if dry_run:
            data["dry_run"] = "on"
        return page.post("/cmdb/import/", data)

    response = upload(True)
    html = response.content.decode()
    assert response.status_code == 422 and 'class="table card-table import-errors"' in html and "nonsense" in html
    assert upload(False).status_code == 422 and ConfigurationItem.objects.count() == 0


def test_incidents_link_items_and_the_item_lists_its_tickets(world, login, ci):
    item = ci("srv-01")
    incident = world.incident(title="应用服务器宕机")
    page = login(world.agent)
    assert page.post(f"/cmdb/incidents/{incident.number}/items/", {"item": "srv-01"}).status_code == 302
    assert AffectedItem.objects.filter(item=item, object_id=incident.pk).exists()
    assert Activity.objects.filter(object_id=incident.pk, action="item_linked").count() == 1
    detail = page.get(f"/incidents/{incident.number}/").content.decode()
    assert 'class="list-group-item d-flex align-items-center gap-2 ticket-item" data-key="srv-01"' in detail
    item_page = login(world.engineer).get(f"/cmdb/{item.pk}/").content.decode()
    assert f'class="open-incident" data-number="{incident.number}"' in item_page
    # twice is an error, nothing added; an unknown key too
    page.post(f"/cmdb/incidents/{incident.number}/items/", {"item": "srv-01"})
    page.post(f"/cmdb/incidents/{incident.number}/items/", {"item": "ghost"})
    assert AffectedItem.objects.count() == 1
    assert page.post(f"/cmdb/incidents/{incident.number}/items/{item.pk}/unlink/").status_code == 302
    assert AffectedItem.objects.count() == 0


def test_a_requester_cannot_link_items(world, login, ci):
    ci("srv-01")
    incident = world.incident()
    response = login(world.requester_a).post(f"/cmdb/incidents/{incident.number}/items/", {"item": "srv-01"})
    assert response.status_code == 302 and response["Location"].startswith("/portal")
    assert AffectedItem.objects.count() == 0


def test_the_api_links_and_lists_an_items_incidents(world, api, ci):
    item = ci("srv-01")
    incident = world.incident(title="服务器宕机")
    agent = api(world.agent)
    response = agent.post("/cmdb/affected-items", {"ticket": incident.number, "item": item.pk})
    assert response.status_code == 201 and response.json()["key"] == "srv-01"
    assert agent.post("/cmdb/affected-items", {"ticket": incident.number, "item": item.pk}).status_code == 422
    assert agent.post("/cmdb/affected-items", {"ticket": "INC-20990101-0001", "item": item.pk}).status_code == 422
    tickets = api(world.engineer).get(f"/cmdb/items/{item.pk}/tickets").json()
    assert [t["number"] for t in tickets["open"]] == [incident.number] and tickets["past"] == []
    assert api(world.requester_a).post("/cmdb/affected-items",
                                       {"ticket": incident.number, "item": item.pk}).status_code == 422
    response = agent.delete(f"/cmdb/affected-items?ticket={incident.number}&item={item.pk}")
    assert response.status_code == 204 and AffectedItem.objects.count() == 0


def test_problems_link_items_too(world, login, api, ci):
    from opsdesk.problems import services as problems

    item = ci("db-tax", "database", attributes={})
    problem = problems.problem_create(by=world.second_line, contract=world.contract_a, title="核心库连接池耗尽",
                                      description="月初高峰期连接数打满")
    page = login(world.engineer)
    response = page.post(f"/cmdb/problems/{problem.number}/items/", {"item": "db-tax"})
    assert response.status_code == 302 and response["Location"] == problem.get_absolute_url() + "#ticket-items"
    assert 'class="list-group-item d-flex align-items-center gap-2 ticket-item" data-key="db-tax"' in \
        page.get(problem.get_absolute_url()).content.decode()
    assert f'class="item-problem" data-number="{problem.number}"' in page.get(f"/cmdb/{item.pk}/").content.decode()
    assert page.post(f"/cmdb/changes/{problem.number}/items/", {"item": "db-tax"}).status_code == 404
    response = api(world.engineer).delete(f"/cmdb/affected-items?ticket={problem.number}&item={item.pk}")
    assert response.status_code == 204 and AffectedItem.objects.count() == 0
