"""The approval chains of the asset procedures on the engine: each role can take only its step, a rejection
changes nothing on the asset, the 500-yuan rule, warranty routing, the send-out due date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from opsdesk.assets import services
from opsdesk.assets.choices import AssetStatus, RepairStatus, ScrapStatus, TakeOutStatus
from opsdesk.assets.models import AcquisitionRequest, Asset, Repair, RepairQuote, ScrapRequest, TakeOut
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import AuditEntry

from .conftest import act, today

ROLES = ("store", "security", "leader", "owner", "sysadmin")
WORLD_ROLES = ("engineer", "pm", "agent", "requester_a", "contact_a", "agent_b")


def everyone(world, people) -> dict[str, object]:
    out = {name: getattr(people, name) for name in ROLES}
    out.update({name: getattr(world, name) for name in WORLD_ROLES})
    return out


def refused_except(record, action: str, allowed: set[str], world, people, **data) -> None:
    """Everyone but `allowed` is refused `action` at the record's current step, and nothing changes."""
    for name, user in everyone(world, people).items():
        if name in allowed:
            continue
        status, version = record.status, record.version
        audits = AuditEntry.objects.count()
        with pytest.raises((PermissionDenied, Conflict)):
            services.procedure_act(record=record, action=action, by=user, data=data)
        record.refresh_from_db()
        assert (record.status, record.version) == (status, version), name
        assert AuditEntry.objects.count() == audits, name


def take_out(world, asset_row, by=None) -> TakeOut:
    return services.take_out_create(by=by or world.requester_a, asset=asset_row, reason="外出巡检演示",
                                    destination="第一税务分局", expected_return=today() + dt.timedelta(days=3))


def test_take_out_chain_each_role_only_its_step(world, people, asset):
    a = asset()
    to = take_out(world, a)
    steps = [("store", TakeOutStatus.DEVICE_APPROVED), ("security", TakeOutStatus.SECURITY_APPROVED),
             ("leader", TakeOutStatus.APPROVED)]
    for role, after in steps:
        refused_except(to, "approve", {role}, world, people)
        refused_except(to, "reject", {role}, world, people, reason="不同意")
        a.refresh_from_db()
        assert a.status == AssetStatus.IN_USE  # nothing moves the asset before the hand-over
        to = act(to, "approve", getattr(people, role))
        assert to.status == after
    refused_except(to, "hand_over", {"store"}, world, people)
    to = act(to, "hand_over", people.store)
    a.refresh_from_db()
    assert (to.status, a.status) == (TakeOutStatus.TAKEN_OUT, AssetStatus.TAKEN_OUT)
    assert not to.is_overdue
    to = act(to, "return_asset", people.store)
    a.refresh_from_db()
    assert (to.status, a.status) == (TakeOutStatus.RETURNED, AssetStatus.IN_USE)


@pytest.mark.parametrize("approvals", [0, 1, 2])
def test_rejected_take_out_changes_nothing_on_the_asset(world, people, asset, approvals):
    a = asset()
    before = (a.status, a.version)
    to = take_out(world, a)
    chain = [people.store, people.security, people.leader]
    for approver in chain[:approvals]:
        to = act(to, "approve", approver)
    to = act(to, "reject", chain[approvals], reason="外带理由不充分")
    a.refresh_from_db()
    assert to.status == TakeOutStatus.REJECTED and to.reject_reason == "外带理由不充分"
    assert (a.status, a.version) == before
    with pytest.raises(Conflict):
        services.procedure_act(record=to, action="approve", by=people.store)


def test_reject_needs_a_reason(world, people, asset):
    to = take_out(world, asset())
    with pytest.raises(ValidationError) as exc:
        services.procedure_act(record=to, action="reject", by=people.store, data={"reason": " "})
    assert "reason" in exc.value.fields
    to.refresh_from_db()
    assert (to.status, to.version) == (TakeOutStatus.REQUESTED, 1)


def test_overdue_take_out_is_flagged(world, people, asset):
    a = asset()
    to = take_out(world, a)
    for approver in (people.store, people.security, people.leader, people.store):
        to = act(to, "hand_over" if to.status == TakeOutStatus.APPROVED else "approve", approver)
    assert to.status == TakeOutStatus.TAKEN_OUT
    TakeOut.objects.filter(pk=to.pk).update(expected_return=today() - dt.timedelta(days=1))
    to.refresh_from_db()
    assert to.is_overdue


def test_take_out_refuses_a_past_return_date_and_a_busy_asset(world, people, asset):
    a = asset()
    with pytest.raises(ValidationError) as exc:
        services.take_out_create(by=world.requester_a, asset=a, reason="x", destination="y",
                                 expected_return=today() - dt.timedelta(days=1))
    assert "expected_return" in exc.value.fields
    take_out(world, a)
    with pytest.raises(ValidationError) as exc:
        take_out(world, a)
    assert "asset" in exc.value.fields
    assert TakeOut.objects.count() == 1


def test_a_stranger_cannot_ask_to_take_out(world, people, asset):
    with pytest.raises(ValidationError) as exc:
        take_out(world, asset(), by=world.requester_b)
    assert "asset" in exc.value.fields
    assert not TakeOut.objects.exists()


# --- scrap ------------------------------------------------------------------------------------------------------

def test_scrap_chain_and_rejection(world, people, asset):
    a = asset()
    with pytest.raises(ValidationError) as exc:
        services.scrap_create(by=people.store, asset=a, reason="")
    assert "reason" in exc.value.fields
    sc = services.scrap_create(by=people.store, asset=a, reason="主板烧毁，无配件可换")
    refused_except(sc, "approve", {"pm"}, world, people)
    sc = act(sc, "approve", world.pm)
    assert sc.status == ScrapStatus.PM_APPROVED
    a.refresh_from_db()
    assert a.status == AssetStatus.IN_USE
    refused_except(sc, "approve", {"leader"}, world, people)
    refused_except(sc, "reject", {"leader"}, world, people, reason="再评估")
    sc = act(sc, "approve", people.leader)
    a.refresh_from_db()
    assert (sc.status, a.status) == (ScrapStatus.SCRAPPED, AssetStatus.SCRAPPED)
    assert sc.scrapped_at is not None


@pytest.mark.parametrize("at_leader", [False, True])
def test_rejected_scrap_changes_nothing_on_the_asset(world, people, asset, at_leader):
    a = asset()
    before = (a.status, a.version)
    sc = services.scrap_create(by=people.store, asset=a, reason="屏幕损坏")
    if at_leader:
        sc = act(sc, "approve", world.pm)
    sc = act(sc, "reject", people.leader if at_leader else world.pm, reason="可以维修")
    a.refresh_from_db()
    assert sc.status == ScrapStatus.REJECTED
    assert (a.status, a.version) == before


def test_only_the_register_keepers_ask_for_scrap(world, people, asset):
    a = asset()
    with pytest.raises(PermissionDenied):
        services.scrap_create(by=world.agent, asset=a, reason="旧了")
    with pytest.raises(NotFound):  # the client does not see the register
        services.scrap_create(by=people.leader, asset=a, reason="旧了")
    assert not ScrapRequest.objects.exists()


# --- repair -----------------------------------------------------------------------------------------------------

def test_in_warranty_goes_to_the_vendor(world, people, asset):
    a = asset(warranty_end=today())  # still in warranty today
    rp = services.repair_create(by=world.engineer, asset=a, fault="无法开机")
    assert rp.in_warranty
    names = [x.name for x in services.WORKFLOWS[Repair].allowed_actions(rp, world.engineer)]
    assert "forward_to_vendor" in names and "price_part" not in names
    with pytest.raises(PermissionDenied):
        services.procedure_act(record=rp, action="price_part", by=world.engineer,
                               data={"part": "主板", "part_price": "800"})
    rp = act(rp, "forward_to_vendor", world.engineer, vendor_reference="联想报修单 LX-2026-118")
    a.refresh_from_db()
    assert (rp.status, a.status) == (RepairStatus.WITH_VENDOR, AssetStatus.UNDER_REPAIR)
    rp = act(rp, "complete", world.engineer, work_done="厂商更换主板", replaced_part="主板", no_second_hand=True)
    a.refresh_from_db()
    assert (rp.status, a.status) == (RepairStatus.COMPLETED, AssetStatus.IN_USE)


def test_out_of_warranty_below_500_needs_no_quotes(world, people, asset):
    a = asset(warranty_end=today() - dt.timedelta(days=1))
    rp = services.repair_create(by=world.engineer, asset=a, fault="电源故障")
    assert not rp.in_warranty
    rp = act(rp, "price_part", world.engineer, part="电源", part_price="499.99")
    assert rp.status == RepairStatus.APPROVED and rp.part_price == Decimal("499.99")


def test_out_of_warranty_500_needs_two_authorised_quotes_and_client_approval(world, people, asset):
    a = asset()
    rp = services.repair_create(by=world.engineer, asset=a, fault="硬盘损坏")
    rp = act(rp, "price_part", world.engineer, part="1TB 固态硬盘", part_price="500.00")
    assert rp.status == RepairStatus.QUOTING
    rp = act(rp, "add_quote", world.engineer, shop="中关村授权维修中心", amount="520", authorised=True)
    rp = act(rp, "add_quote", world.engineer, shop="街边维修店", amount="380", authorised=False)
    with pytest.raises(ValidationError) as exc:
        services.procedure_act(record=rp, action="submit_quotes", by=world.engineer)
    assert "quotes" in exc.value.fields
    rp.refresh_from_db()
    assert rp.status == RepairStatus.QUOTING
    rp = act(rp, "add_quote", world.engineer, shop="联想授权服务站", amount="510", authorised=True)
    assert RepairQuote.objects.filter(repair=rp).count() == 3
    rp = act(rp, "submit_quotes", world.engineer)
    assert rp.status == RepairStatus.AWAITING_APPROVAL
    refused_except(rp, "approve", {"owner", "contact_a"}, world, people)
    rp = act(rp, "approve", people.owner)
    assert rp.status == RepairStatus.APPROVED
    a.refresh_from_db()
    assert a.status == AssetStatus.IN_USE  # the work has not started


def test_client_rejects_an_expensive_repair(world, people, asset):
    a = asset()
    rp = services.repair_create(by=world.engineer, asset=a, fault="主板故障")
    rp = act(rp, "price_part", world.engineer, part="主板", part_price="1200")
    for shop in ("授权店甲", "授权店乙"):
        rp = act(rp, "add_quote", world.engineer, shop=shop, amount="1200", authorised=True)
    rp = act(rp, "submit_quotes", world.engineer)
    rp = act(rp, "reject", world.contact_a, reason="价格过高，申请报废")
    a.refresh_from_db()
    assert rp.status == RepairStatus.REJECTED and a.status == AssetStatus.IN_USE and a.version == 1


def test_send_out_is_due_back_in_seven_days_and_flagged_when_late(world, people, asset):
    a = asset()
    rp = services.repair_create(by=world.engineer, asset=a, fault="显示器花屏")
    rp = act(rp, "price_part", world.engineer, part="液晶面板", part_price="300")
    rp = act(rp, "send_out", world.engineer, shop="市区授权维修站")
    assert rp.status == RepairStatus.SENT_OUT
    assert rp.due_back == today() + dt.timedelta(days=7) and not rp.is_overdue
    Repair.objects.filter(pk=rp.pk).update(due_back=today() - dt.timedelta(days=1))
    rp.refresh_from_db()
    assert rp.is_overdue


def test_completion_needs_the_no_second_hand_confirmation_and_gives_a_year_of_warranty(world, people, asset):
    a = asset()
    rp = services.repair_create(by=world.engineer, asset=a, fault="键盘失灵")
    rp = act(rp, "price_part", world.engineer, part="键盘", part_price="80")
    rp = act(rp, "start_repair", world.engineer)
    a.refresh_from_db()
    assert a.status == AssetStatus.UNDER_REPAIR
    for flag in (None, False):
        with pytest.raises(ValidationError) as exc:
            services.procedure_act(record=rp, action="complete", by=world.engineer,
                                   data={"work_done": "更换键盘", "replaced_part": "键盘", "no_second_hand": flag})
        assert "no_second_hand" in exc.value.fields
    rp.refresh_from_db()
    assert rp.status == RepairStatus.IN_REPAIR
    rp = act(rp, "complete", world.engineer, work_done="更换键盘", replaced_part="罗技 K120 键盘",
             no_second_hand="on")
    assert rp.completed_on == today() and rp.no_second_hand
    assert rp.part_warranty_end == services_one_year(today())
    a.refresh_from_db()
    assert a.status == AssetStatus.IN_USE


def services_one_year(day: dt.date) -> dt.date:
    from opsdesk.assets.workflow import one_year_after

    return one_year_after(day)


def test_one_year_after_leap_day():
    from opsdesk.assets.workflow import one_year_after

    assert one_year_after(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)
    assert one_year_after(dt.date(2026, 12, 6)) == dt.date(2027, 12, 6)


# --- acquisition ------------------------------------------------------------------------------------------------

def test_acquisition_request_approve_purchase_issue_creates_the_asset(world, people):
    ar = services.acquisition_create(by=people.owner, contract=world.contract_a, item_name="华为擎云 W515 台式机",
                                     reason="新入职人员办公", estimated_price="5200", department=people.department)
    refused_except(ar, "approve", {"leader"}, world, people)
    ar = act(ar, "approve", people.leader)
    refused_except(ar, "purchase", {"store"}, world, people, vendor="x", price="1", order_date="2026-12-01")
    with pytest.raises(ValidationError) as exc:
        services.procedure_act(record=ar, action="purchase", by=people.store,
                               data={"vendor": "京东企业购", "price": "5,199.5x", "order_date": "2026-13-01"})
    assert set(exc.value.fields) == {"price", "order_date"}
    ar = act(ar, "purchase", people.store, vendor="京东企业购", price="5199.00", order_date="2026-12-01")
    assert ar.price == Decimal("5199.00")
    ar = act(ar, "issue", people.store, asset_tag="ZC-2026-101", serial_number="SN123",
             department=str(people.department.pk), custodian="req_a", location="信息中心 302")
    asset_row = Asset.objects.get(contract=world.contract_a, asset_tag="ZC-2026-101")
    assert ar.asset_id == asset_row.pk
    assert (asset_row.price, asset_row.vendor, asset_row.status) == (Decimal("5199.00"), "京东企业购",
                                                                     AssetStatus.IN_USE)
    assert asset_row.custodian == world.requester_a and asset_row.department == people.department


def test_issue_with_a_taken_tag_writes_nothing(world, people, asset):
    asset("ZC-9")
    ar = services.acquisition_create(by=world.engineer, contract=world.contract_a, item_name="打印机", reason="更换")
    ar = act(ar, "approve", people.leader)
    ar = act(ar, "purchase", people.store, vendor="苏宁", price="1800", order_date="2026-12-01")
    with pytest.raises(ValidationError) as exc:
        services.procedure_act(record=ar, action="issue", by=people.store, data={"asset_tag": "ZC-9"})
    assert "asset_tag" in exc.value.fields
    ar.refresh_from_db()
    assert ar.status == "purchased" and ar.asset_id is None and ar.version == 3
    assert Asset.objects.count() == 1


def test_rejected_acquisition(world, people):
    ar = services.acquisition_create(by=world.engineer, contract=world.contract_a, item_name="投影仪", reason="会议室")
    ar = act(ar, "reject", people.leader, reason="预算不足")
    assert ar.status == "rejected" and ar.reject_reason == "预算不足"
    assert not Asset.objects.exists()
    assert AcquisitionRequest.objects.get().number.startswith("AR-")


def test_every_step_leaves_one_audit_record(world, people, asset):
    to = take_out(world, asset())
    before = AuditEntry.objects.count()
    act(to, "approve", people.store)
    assert AuditEntry.objects.count() == before + 1


def test_pending_approvals_list_each_approver_their_step(world, people, asset):
    from opsdesk.core.approvals import pending_for

    to = take_out(world, asset("ZC-1"))
    sc = services.scrap_create(by=people.store, asset=asset("ZC-2"), reason="无法维修")
    assert [p.number for p in pending_for(people.store)] == [to.number]
    assert [p.number for p in pending_for(world.pm)] == [sc.number]
    assert pending_for(people.security) == [] and pending_for(people.leader) == []
    act(to, "approve", people.store)
    assert [p.number for p in pending_for(people.security)] == [to.number]
    act(sc, "approve", world.pm)
    assert {p.number for p in pending_for(people.leader)} == {sc.number}
    assert pending_for(world.requester_b) == []


def test_repair_steps_are_the_register_keepers(world, people, asset):
    """Clients, the agent and the security administrator take no repair step; the keepers do."""
    keepers = {"store", "sysadmin", "engineer", "pm"}
    rp = services.repair_create(by=world.engineer, asset=asset("ZC-1"), fault="无法开机")
    refused_except(rp, "price_part", keepers, world, people, part="电源", part_price="600")
    rp = act(rp, "price_part", people.sysadmin, part="电源", part_price="600")
    refused_except(rp, "add_quote", keepers, world, people, shop="授权店", amount="600", authorised=True)
    refused_except(rp, "submit_quotes", keepers, world, people)
    for shop in ("授权店甲", "授权店乙"):
        rp = act(rp, "add_quote", people.store, shop=shop, amount="600", authorised=True)
    rp = act(rp, "submit_quotes", world.pm)
    rp = act(rp, "approve", world.contact_a)
    refused_except(rp, "send_out", keepers, world, people, shop="维修站")
    refused_except(rp, "start_repair", keepers, world, people)
    rp = act(rp, "start_repair", people.store)
    refused_except(rp, "complete", keepers, world, people, work_done="x", no_second_hand=True)


def test_procedures_refuse_bad_input_and_write_nothing(world, people, asset):
    from opsdesk.assets.models import AcquisitionRequest

    a = asset()
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.acquisition_create(by=people.owner, contract=world.contract_a, item_name="", reason="",
                                    category="furniture", estimated_price="-5")
    assert set(exc.value.fields) == {"item_name", "reason", "category", "estimated_price"}
    with pytest.raises(ValidationError) as exc:
        services.acquisition_create(by=world.requester_b, contract=world.contract_a, item_name="x", reason="y")
    assert "contract" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        services.repair_create(by=world.engineer, asset=a, fault="\x00")
    assert "fault" in exc.value.fields
    assert not AcquisitionRequest.objects.exists() and not Repair.objects.exists()
    assert AuditEntry.objects.count() == audits
