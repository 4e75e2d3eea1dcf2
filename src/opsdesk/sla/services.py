"""Every write of the SLA engine: policies, and the clocks on tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def clocks_start(record: Any, *, at: datetime) -> None:
    """Start the SLA clocks of a new ticket at `at` (inside the creating transaction)."""
