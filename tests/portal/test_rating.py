"""Rating the service after an incident is over: who, when, once; shown on the staff page and in the API."""

from __future__ import annotations

import pytest

from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from opsdesk.core.models import Activity, AuditEntry
from opsdesk.incidents.models import SatisfactionRating
from opsdesk.incidents.services import incident_act, incident_rate
from tests.pages.helpers import fresh, text


def _confirmed(world):
    inc = world.incident()
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=fresh(inc), action="resolve", by=world.agent, data={"solution": "已更换硒鼓"})
    incident_act(incident=fresh(inc), action="confirm", by=world.requester_a)
    return fresh(inc)


def test_the_requester_rates_once(world):
    inc = _confirmed(world)
    rating = incident_rate(incident=inc, by=world.requester_a, score=5, comment="很快，谢谢")
    assert (rating.score, rating.comment, rating.rated_by) == (5, "很快，谢谢", world.requester_a)
    assert Activity.objects.filter(object_id=inc.pk, action="rated", data__score=5).exists()
    assert AuditEntry.objects.filter(action="incident.rate").count() == 1
    with pytest.raises(Conflict) as exc:
        incident_rate(incident=inc, by=world.requester_a, score=1)
    assert exc.value.code == "already_rated"
    with pytest.raises(Conflict):
        incident_rate(incident=inc, by=world.contact_a, score=1)  # the contact cannot rate it a second time
    assert SatisfactionRating.objects.get().score == 5


def test_the_client_contact_may_rate(world):
    inc = _confirmed(world)
    assert incident_rate(incident=inc, by=world.contact_a, score="3").score == 3


def test_not_before_the_solution_is_confirmed(world):
    inc = world.incident()
    with pytest.raises(Conflict) as exc:
        incident_rate(incident=inc, by=world.requester_a, score=4)
    assert exc.value.code == "not_rateable"
    incident_act(incident=inc, action="accept", by=world.agent)
    incident_act(incident=fresh(inc), action="resolve", by=world.agent, data={"solution": "x"})
    with pytest.raises(Conflict):  # awaiting confirmation is not over yet
        incident_rate(incident=fresh(inc), by=world.requester_a, score=4)
    assert not SatisfactionRating.objects.exists()


def test_only_the_client_side_rates(world):
    inc = _confirmed(world)
    with pytest.raises(PermissionDenied):
        incident_rate(incident=inc, by=world.agent, score=5)
    with pytest.raises(NotFound):
        incident_rate(incident=inc, by=world.requester_a2, score=5)  # someone else's ticket
    with pytest.raises(NotFound):
        incident_rate(incident=inc, by=world.contact_b, score=5)
    assert not SatisfactionRating.objects.exists()


@pytest.mark.parametrize("score", [0, 6, -1, "", None, "five", True])
def test_the_score_is_one_to_five(world, score):
    inc = _confirmed(world)
    with pytest.raises(ValidationError) as exc:
        incident_rate(incident=inc, by=world.requester_a, score=score)
    assert "score" in exc.value.fields
    assert not SatisfactionRating.objects.exists()


def test_the_comment_has_a_limit(world):
    inc = _confirmed(world)
    with pytest.raises(ValidationError) as exc:
        incident_rate(incident=inc, by=world.requester_a, score=4, comment="很" * 2001)
    assert "comment" in exc.value.fields


def test_rating_in_the_portal_and_on_the_staff_page(world, login):
    inc = _confirmed(world)
    client = login(world.requester_a)
    page = text(client.get(f"/portal/incidents/{inc.number}/"))
    assert 'class="card mb-3 rating-form"' in page
    resp = client.post(f"/portal/incidents/{inc.number}/rating/", {"score": "4", "comment": "工程师很耐心"})
    assert resp.status_code == 302
    page = text(client.get(f"/portal/incidents/{inc.number}/"))
    assert 'data-score="4"' in page and "工程师很耐心" in page and "rating-form" not in page
    # a second post (an old tab) is refused with the reason, nothing changes
    again = client.post(f"/portal/incidents/{inc.number}/rating/", {"score": "1"})
    assert again.status_code == 409 and SatisfactionRating.objects.get().score == 4
    staff = text(login(world.agent).get(f"/incidents/{inc.number}/"))
    assert 'class="card mb-3 rating-card"' in staff and 'data-score="4"' in staff and "工程师很耐心" in staff


def test_no_rating_form_before_the_end_or_for_staff(world, login):
    inc = world.incident()
    assert "rating-form" not in text(login(world.requester_a).get(f"/portal/incidents/{inc.number}/"))
    assert login(world.requester_a).post(f"/portal/incidents/{inc.number}/rating/", {"score": "5"}).status_code == 409
    done = _confirmed(world)
    assert "rating-card" not in text(login(world.agent).get(f"/incidents/{done.number}/"))


def test_a_missing_score_is_shown_by_the_field(world, login):
    inc = _confirmed(world)
    client = login(world.requester_a)
    resp = client.post(f"/portal/incidents/{inc.number}/rating/", {"comment": "还行"})
    assert resp.status_code == 422 and "id_rating_score-errors" in text(resp)
    assert "还行" in text(resp)  # the comment typed comes back
    client.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    resp = client.post(f"/portal/incidents/{inc.number}/rating/", {"score": "9"})
    assert "Choose from 1 to 5 stars." in text(resp)
