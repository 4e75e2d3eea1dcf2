"""Reading list filters from a QueryDict (pages) or a dict (API parameters) the same way everywhere."""

from __future__ import annotations

from typing import Any


def param_list(params: Any, name: str) -> list[str]:
    """A repeatable or comma-separated parameter as its non-empty, stripped values."""
    values = params.getlist(name) if hasattr(params, "getlist") else params.get(name) or []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        out.extend(part.strip() for part in str(value).split(",") if part.strip())
    return out


def param_one(params: Any, name: str, *, drop_nul: bool = False) -> str:
    """A single parameter as stripped text ("" when absent; a boolean as "true" / "false")."""
    value = params.get(name)
    if isinstance(value, bool):
        return "true" if value else "false"
    text = "" if value is None else str(value)
    return (text.replace("\x00", "") if drop_nul else text).strip()
