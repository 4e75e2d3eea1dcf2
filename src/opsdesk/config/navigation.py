"""Template context shared by every page: what the top bar offers the viewer.

It lives in config (the composition root, like urls.py and schedule.py) because it asks several apps who
may see their pages; each answer comes from the viewer's grants, loaded once per request (access_for)."""

from __future__ import annotations

from typing import Any

from opsdesk.accounts.choices import CLIENT_ROLES, Role

# Client roles that decide (approve, close, answer) in the staffed and confirmation procedures.
DECIDING_ROLES = frozenset({Role.APP_OWNER, Role.DIVISION_LEADER, Role.APP_DIVISION})


def navigation(request: Any) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from opsdesk.accounts.selectors import access_for
    from opsdesk.mailin.selectors import can_see_mail_pages
    from opsdesk.notifications.selectors import managed_contract_ids

    access = access_for(user)
    robots = managed_contract_ids(user=user)
    return {"nav_is_staff": access.is_staff_member or user.is_superuser,
            "nav_is_client": bool(access.roles & CLIENT_ROLES) or not access.is_staff_member,
            "nav_mail": can_see_mail_pages(user),
            "nav_robots": robots is None or bool(robots),
            "nav_approvals": bool(access.roles & DECIDING_ROLES)}
