"""Cross-app signals about incidents; sent after the transaction commits.

Receivers (SLA clocks, notifications, search indexing) connect here, never inside the incidents app.
"""

from django.dispatch import Signal

# kwargs: incident_id, level (the receivers decide on it without reading the row back)
incident_created = Signal()
# kwargs: incident_id, action, from_status, to_status, actor_id
incident_action_taken = Signal()
