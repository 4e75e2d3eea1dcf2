"""POST /api/v1/incidents/{number}/rating and the rating in the incident detail."""

from __future__ import annotations

from opsdesk.incidents.models import Incident, SatisfactionRating
from opsdesk.incidents.services import incident_act


def _confirmed(world):
    inc = world.incident()
    incident_act(incident=inc, action="accept", by=world.agent)
    inc = Incident.objects.get(pk=inc.pk)
    incident_act(incident=inc, action="resolve", by=world.agent, data={"solution": "已更换硒鼓"})
    incident_act(incident=Incident.objects.get(pk=inc.pk), action="confirm", by=world.requester_a)
    return Incident.objects.get(pk=inc.pk)


def test_rate_and_read_it_back(api, world):
    inc = _confirmed(world)
    assert api(world.requester_a).get(f"/incidents/{inc.number}").json()["rating"] is None
    resp = api(world.requester_a).post(f"/incidents/{inc.number}/rating", {"score": 5, "comment": "满意"})
    assert resp.status_code == 201
    body = resp.json()
    assert body["score"] == 5 and body["comment"] == "满意" and body["rated_by"] == "req_a"
    assert body["rated_at"].endswith("+08:00")
    detail = api(world.agent).get(f"/incidents/{inc.number}").json()
    assert detail["rating"]["score"] == 5 and detail["rating"]["rated_by"] == "req_a"
    timeline = [e for e in detail["timeline"] if e["action"] == "rated"]
    assert timeline and timeline[0]["data"] == {"score": 5}


def test_once_only(api, world):
    inc = _confirmed(world)
    assert api(world.requester_a).post(f"/incidents/{inc.number}/rating", {"score": 4}).status_code == 201
    again = api(world.contact_a).post(f"/incidents/{inc.number}/rating", {"score": 1})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"
    assert SatisfactionRating.objects.get().score == 4


def test_errors(api, world):
    open_one = world.incident()
    resp = api(world.requester_a).post(f"/incidents/{open_one.number}/rating", {"score": 4})
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_rateable"
    inc = _confirmed(world)
    assert api(world.agent).post(f"/incidents/{inc.number}/rating", {"score": 4}).status_code == 403
    assert api(world.requester_a2).post(f"/incidents/{inc.number}/rating", {"score": 4}).status_code == 404
    assert api(world.requester_b).post(f"/incidents/{inc.number}/rating", {"score": 4}).status_code == 404
    bad = api(world.requester_a).post(f"/incidents/{inc.number}/rating", {"score": 6})
    assert bad.status_code == 422 and bad.json()["error"]["fields"]["score"]
    english = api(world.requester_a).post(f"/incidents/{inc.number}/rating", {"score": 0},
                                          **{"Accept-Language": "en"})
    assert english.json()["error"]["fields"]["score"] == "Choose from 1 to 5 stars."
    assert api(world.requester_a).post(f"/incidents/{inc.number}/rating", {"score": "x"}).status_code == 422
    assert not SatisfactionRating.objects.exists()
