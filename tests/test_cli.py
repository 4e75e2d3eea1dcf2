"""The `opsdesk` command's contract (ARCHITECTURE.md): user create with roles per contract, token create."""

from __future__ import annotations

import pytest

from opsdesk import cli
from opsdesk.accounts.models import ApiToken, RoleGrant, User
from opsdesk.accounts.selectors import user_by_token
from opsdesk.core.models import AuditEntry


@pytest.fixture
def contracts(world):
    return world


def test_user_create_grants_the_role_on_the_contract(contracts, capsys):
    assert cli.main(["user", "create", "li_si", "--role", "engineer", "--contract", "TAX-2026",
                     "--password", "s3cret-pass", "--full-name", "李四", "--phone", "13900000000"]) == 0
    assert "li_si" in capsys.readouterr().out
    user = User.objects.get(username="li_si")
    assert user.full_name == "李四" and user.check_password("s3cret-pass")
    assert list(RoleGrant.objects.filter(user=user).values_list("role", "contract__code")) == [
        ("engineer", "TAX-2026")]
    assert AuditEntry.objects.filter(action="user.create", object_id=str(user.pk)).exists()
    assert AuditEntry.objects.filter(action="role.grant").exists()


def test_user_create_with_org_grants_on_its_contracts(contracts):
    assert cli.main(["user", "create", "wang", "--role", "requester", "--org", "tax", "--password", "pw-123456"]) == 0
    user = User.objects.get(username="wang")
    assert user.organisation.code == "tax"
    assert set(RoleGrant.objects.filter(user=user).values_list("contract__code", flat=True)) == {"TAX-2026"}


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "pilot", "--contract", "TAX-2026"], "unknown role"),
    (["--role", "engineer", "--contract", "NOPE"], "unknown contract"),
    (["--role", "engineer"], "per contract"),
    (["--org", "nope"], "unknown organisation"),
])
def test_user_create_refuses_bad_input_and_writes_nothing(contracts, capsys, args, message):
    before = User.objects.count()
    assert cli.main(["user", "create", "bad", *args]) == 2
    assert message in capsys.readouterr().err
    assert User.objects.count() == before


def test_user_create_refuses_a_taken_username(contracts, capsys):
    assert cli.main(["user", "create", "agent", "--role", "agent", "--contract", "TAX-2026"]) == 2
    assert "username" in capsys.readouterr().err


def test_token_create_prints_a_working_token(contracts, capsys):
    assert cli.main(["token", "create", "agent"]) == 0
    raw = capsys.readouterr().out.strip()
    assert user_by_token(raw).username == "agent"
    assert ApiToken.objects.get(user__username="agent").digest != raw  # only the hash is stored


def test_token_create_for_an_unknown_user_fails(contracts, capsys):
    assert cli.main(["token", "create", "ghost"]) == 2
    assert "unknown user" in capsys.readouterr().err
