"""The CMDB (issue 7, part 1): types as data, attribute checks, history, relationships, impact analysis on
cycles and diamonds, visibility, the API, and bad input that changes nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.cmdb import selectors, services
from opsdesk.cmdb.models import CIType, ConfigurationItem, Relationship
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import AuditEntry
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def keys(levels):
    return [[i.key for i in lvl.items] for lvl in levels]


def test_the_tender_types_ship_as_data():
    codes = set(CIType.objects.values_list("code", flat=True))
    assert {"business_system", "server", "virtual_machine", "network_device", "storage", "database",
            "middleware", "software", "document", "line", "room"} <= codes


def test_an_operator_defines_a_type_and_its_items_are_checked_against_it(world, ci):
    admin = grant(UserFactory(username="sysadmin"), "system_admin", world.contract_a)
    ups = services.ci_type_create(by=admin, code="ups", name="UPS", attributes=[
        {"name": "capacity_kva", "label": "容量", "kind": "integer", "required": True},
        {"name": "brand", "label": "品牌", "kind": "choice", "choices": ["山特", "APC"]},
        {"name": "installed", "label": "安装日期", "kind": "date"}])
    item = ci("ups-01", "ups", attributes={"capacity_kva": "20", "brand": "APC", "installed": "2025-03-01"})
    assert item.attributes == {"capacity_kva": 20, "brand": "APC", "installed": "2025-03-01"}
    with pytest.raises(ValidationError) as err:
        ci("ups-02", "ups", attributes={"brand": "无名", "installed": "昨天", "colour": "红"})
    assert set(err.value.fields) == {"attributes.capacity_kva", "attributes.brand", "attributes.installed",
                                     "attributes.colour"}
    with pytest.raises(PermissionDenied):
        services.ci_type_create(by=world.engineer, code="x", name="x")
    with pytest.raises(ValidationError) as err:
        services.ci_type_create(by=admin, code="ups", name="again", attributes=[{"name": "Bad Name"},
                                                                                {"name": "c", "kind": "choice"}])
    assert {"attributes.0.name", "attributes.1.choices"} <= set(err.value.fields)
    assert ups.attributes[0]["required"] is True


def test_every_change_is_on_the_items_history_and_audited(world, ci):
    item = ci("srv-01", attributes={"hostname": "srv-01", "cpu_cores": 8})
    services.item_update(by=world.engineer, item=item, version=item.version,
                         data={"status": "maintenance", "attributes": {"hostname": "srv-01", "cpu_cores": 16}})
    item.refresh_from_db()
    assert item.status == "maintenance" and item.attributes["cpu_cores"] == 16 and item.version == 2
    history = selectors.item_history(item=item)
    assert [h.kind for h in history] == ["created", "system"]
    assert history[1].data["changes"]["status"] == ["active", "maintenance"]
    assert history[1].data["changes"]["attributes"][0]["cpu_cores"] == 8
    assert AuditEntry.objects.filter(action="cmdb.item_update", object_id=str(item.pk)).count() == 1
    with pytest.raises(Conflict):
        services.item_update(by=world.engineer, item=item, version=1, data={"name": "x"})
    item.refresh_from_db()
    assert item.name == "srv-01"


def test_bad_input_is_refused_per_field_and_writes_nothing(world, ci):
    ci("srv-01")
    before = (ConfigurationItem.objects.count(), AuditEntry.objects.count())
    for kwargs, field in (({"key": "srv-01"}, "key"), ({"key": ""}, "key"), ({"key": "k", "status": "gone"}, "status"),
                          ({"key": "k", "importance": 9}, "importance"), ({"key": "k", "attributes": {}},
                                                                          "attributes.hostname")):
        with pytest.raises(ValidationError) as err:
            services.item_create(by=world.engineer, contract=world.contract_a,
                                 ci_type=CIType.objects.get(code="server"), name="n",
                                 **{"attributes": {"hostname": "h"}, **kwargs})
        assert field in err.value.fields, (kwargs, err.value.fields)
    with pytest.raises(PermissionDenied):
        services.item_create(by=world.agent, contract=world.contract_a, ci_type=CIType.objects.get(code="room"),
                             key="r", name="r")
    with pytest.raises(NotFound):
        services.item_create(by=world.requester_a, contract=world.contract_a,
                             ci_type=CIType.objects.get(code="room"), key="r", name="r")
    assert (ConfigurationItem.objects.count(), AuditEntry.objects.count()) == before


def test_relationships_stay_within_a_contract_and_are_unique(world, ci, relate):
    grant(world.engineer, "engineer", world.contract_b)
    a, b = ci("app"), ci("vm")
    other = ci("vm-b", contract=world.contract_b)
    relate(a, "runs_on", b)
    for target, kind, field in ((b, "runs_on", "target"), (a, "runs_on", "target"), (other, "runs_on", "target"),
                                (b, "owns", "kind")):
        with pytest.raises(ValidationError) as err:
            services.relationship_create(by=world.engineer, source=a, target=target, kind=kind)
        assert field in err.value.fields
    assert Relationship.objects.count() == 1


def test_impact_follows_each_kind_the_way_an_outage_travels(world, ci, relate):
    room, srv, vm, db, oa, backup, line, site = (ci(k) for k in ("room", "srv", "vm", "db", "oa", "backup", "line",
                                                                 "site"))
    relate(room, "contains", srv)       # the room down: the server is down
    relate(vm, "runs_on", srv)          # the server down: the VM is down
    relate(db, "runs_on", vm)
    relate(oa, "depends_on", db)
    relate(db, "backed_up_by", backup)  # the backup down: nothing stops
    relate(srv, "connects_to", line)    # a line: both ways
    relate(line, "connects_to", site)
    assert keys(selectors.impact(item=room, depth=5)) == [["srv"], ["line", "vm"], ["db", "site"], ["oa"]]
    assert keys(selectors.impact(item=room, depth=2)) == [["srv"], ["line", "vm"]]
    assert selectors.impact(item=backup, depth=5) == []
    assert keys(selectors.impact(item=oa, depth=5, direction="upstream")) == [["db"], ["vm"], ["srv"],
                                                                             ["line", "room"], ["site"]]


def test_impact_on_cycles_and_diamonds_lists_each_item_once_at_its_nearest_level(world, ci, relate):
    a, b, c, d, e = (ci(k) for k in "abcde")
    relate(b, "depends_on", a)   # diamond: b and c depend on a, d depends on both
    relate(c, "depends_on", a)
    relate(d, "depends_on", b)
    relate(d, "depends_on", c)
    relate(e, "depends_on", d)
    relate(a, "depends_on", e)   # … and a cycle back to a
    assert keys(selectors.impact(item=a, depth=10)) == [["b", "c"], ["d"], ["e"]]
    assert keys(selectors.impact(item=d, depth=10)) == [["e"], ["a"], ["b", "c"]]
    with pytest.raises(ValidationError):
        selectors.impact(item=a, depth=11)


def test_impact_costs_one_query_per_level(world, ci, relate):
    root = ci("root")
    prev = [root]
    for level in range(3):
        nxt = [ci(f"n{level}-{i}") for i in range(4)]
        for parent in prev:
            for child in nxt:
                relate(child, "runs_on", parent)
        prev = nxt
    with CaptureQueriesContext(connection) as ctx:
        levels = selectors.impact(item=root, depth=3)
    assert [len(lvl.items) for lvl in levels] == [4, 4, 4]
    assert len(ctx.captured_queries) == 3 + 1 + 1  # the levels, the rows, the types


def test_the_api_creates_relates_updates_and_analyses(world, api, ci):
    eng = api(world.engineer)
    r = eng.post("/cmdb/items", {"contract": "TAX-2026", "type": "business_system", "key": "oa", "name": "OA 系统",
                                 "importance": 1})
    assert r.status_code == 201, r.content
    oa = r.json()["id"]
    vm = eng.post("/cmdb/items", {"contract": "TAX-2026", "type": "virtual_machine", "key": "vm-oa",
                                  "name": "OA 虚拟机", "attributes": {"hostname": "vm-oa", "cpu_cores": "x"}})
    assert vm.status_code == 422 and "attributes.cpu_cores" in vm.json()["error"]["fields"]
    vm = eng.post("/cmdb/items", {"contract": "TAX-2026", "type": "virtual_machine", "key": "vm-oa",
                                  "name": "OA 虚拟机", "attributes": {"hostname": "vm-oa"}}).json()["id"]
    assert eng.post("/cmdb/relationships", {"source": oa, "target": vm, "kind": "runs_on"}).status_code == 201
    r = eng.get(f"/cmdb/items/{vm}/impact", {"depth": 3})
    assert r.status_code == 200
    assert [i["key"] for i in r.json()["levels"][0]["items"]] == ["oa"]
    assert [i["key"] for i in r.json()["business_systems"]] == ["oa"]
    detail = eng.get(f"/cmdb/items/{vm}").json()
    r = eng.patch(f"/cmdb/items/{vm}", {"version": detail["version"], "location": "二号机房"})
    assert r.status_code == 200 and r.json()["location"] == "二号机房" and len(r.json()["history"]) == 2
    assert eng.patch(f"/cmdb/items/{vm}", {"version": 1, "location": "x"}).status_code == 409
    assert api(world.agent_b).get(f"/cmdb/items/{vm}").status_code == 404
    assert api(world.requester_a).get(f"/cmdb/items/{vm}").status_code == 404
    assert api(world.requester_a).get("/cmdb/items").json()["items"] == []
    rel = detail["relationships"][0]["id"]
    assert api(world.agent_b).delete(f"/cmdb/relationships/{rel}").status_code == 404
    assert eng.delete(f"/cmdb/relationships/{rel}").status_code == 204
    assert eng.get("/cmdb/types").status_code == 200


def test_the_item_list_costs_the_same_for_more_rows(world, api, ci):
    ci("one")
    client = api(world.engineer).client
    client.get("/api/v1/cmdb/items")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/cmdb/items").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(5):
        ci(f"more-{i}")
    assert count() == few
