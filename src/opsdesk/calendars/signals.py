"""Signals of the calendars app; sent after the transaction that made the change commits.

`calendar_changed(sender=Calendar, calendar_ids=[...], dates=[...], reason=str)`: the open hours of these
calendars changed. `dates` lists the local dates whose hours changed (a holiday arrangement, an override);
an empty list means any date may have changed (the weekly schedule was edited). `reason` is a short machine
text such as "holidays:2027", "override.add", "schedule". The SLA engine listens to recompute the due times
of running clocks and note it on their tickets' timelines.
"""

from django.dispatch import Signal

calendar_changed = Signal()
