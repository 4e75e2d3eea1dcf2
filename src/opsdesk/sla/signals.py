"""Signals the SLA engine sends to other apps (notifications); declared here, received in their events.py.

`sla_event` is sent after the transaction that recorded the event commits, once per event, by the sweep
(sla/sweep.py) and by a recurring-fault level raise. kwargs:

- `kind`: "warning" (75 % or 90 % of a target used), "breach" (a target passed) or "escalation" (the level
  was raised automatically);
- `ticket`: the ticket (e.g. an Incident), `clock`: the SlaClock concerned (None for a recurring fault);
- `stage`: 1 (75 %), 2 (90 %), 3 (breach) or None, `level` / `from_level`: for escalations;
- `recipients`: [{"id", "username", "name", "roles"}] resolved when the event was recorded;
- `activity_id`: the timeline entry that records the event durably (its `data.recipients` hold the same
  list), the key a deliverer uses to deliver each event once per recipient and channel;
- `reason`: the text shown on the timeline.

A signal is in-process: if the process dies between the commit and the send, the timeline entry remains and
a deliverer can catch up from it (timeline entries with `action` sla_warning / sla_breach / change_level and
`data.recipients`).
"""

from django.dispatch import Signal

sla_event = Signal()
