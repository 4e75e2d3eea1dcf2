"""Template context shared by every page: the viewer's roles, for the navigation."""

from __future__ import annotations

from opsdesk.accounts.choices import CLIENT_ROLES


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from opsdesk.accounts.selectors import access_for

    access = access_for(user)
    return {"nav_is_staff": access.is_staff_member, "nav_is_client": bool(access.roles & CLIENT_ROLES)
            or not access.is_staff_member}
