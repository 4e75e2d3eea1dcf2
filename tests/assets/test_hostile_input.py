"""Hostile input never makes the asset API fail badly: NUL characters, forged cursors, huge ids and malformed
numbers are 422 or 404, never a 500."""

from __future__ import annotations

import pytest

from opsdesk.assets import services

from .conftest import today


@pytest.mark.parametrize("path", ["/assets/assets", "/assets/take-outs", "/assets/repairs", "/assets/scraps",
                                  "/assets/acquisitions"])
@pytest.mark.parametrize("params", [{"q": "a\x00b"}, {"contract": "\x00"}, {"cursor": "Zm9v"},
                                    {"cursor": "WyJuIixbIngiXV0"}, {"status": "x" * 500}, {"department": "9" * 40},
                                    {"overdue": "maybe"}])
def test_list_filters(world, people, api, path, params):
    r = api(people.store).get(path, params)
    ignored = ("department" in params and path != "/assets/assets") or ("overdue" in params and path in (
        "/assets/assets",))
    assert r.status_code == (200 if ignored else 422), (r.status_code, r.content[:200])


@pytest.mark.parametrize("ident", ["0", "-1", "9" * 30, "abc", "%00"])
def test_bad_ids_are_404(world, people, api, ident):
    expected = 422 if ident == "%00" else 404  # a NUL anywhere in the input is refused as such
    for path in ("assets", "checks", "repairs"):
        assert api(people.store).get(f"/assets/{path}/{ident}").status_code == expected


def test_nul_in_action_fields_is_422(world, people, api, asset):
    to = services.take_out_create(by=people.store, asset=asset(), reason="外出", destination="分局",
                                  expected_return=today())
    r = api(people.store).post(f"/assets/take-outs/{to.number}/actions/reject", {"reason": "no\x00"})
    assert r.status_code == 422
    r = api(people.store).post(f"/assets/take-outs/{to.number}/actions/teleport", {})
    assert r.status_code == 404
    r = api(people.store).post("/assets/assets", {"contract": "TAX-2026", "asset_tag": "a\x00", "name": "x"})
    assert r.status_code == 422
    to.refresh_from_db()
    assert (to.status, to.version) == ("requested", 1)
