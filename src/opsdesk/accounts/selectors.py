"""Reads about people and what they may see. The grants of a user are loaded once per request object."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace

from opsdesk.core import sql
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound
from opsdesk.core.sql import q

from .choices import CLIENT_ROLES, SERVICE_ROLES, Role
from .models import ApiToken, Contract, Organisation, RoleGrant, User


@dataclass(frozen=True)
class Access:
    """What a user holds: roles per contract, and the organisations whose tickets they see as a contact."""

    roles_by_contract: dict[int, frozenset[str]] = field(default_factory=dict)
    staff_contract_ids: frozenset[int] = frozenset()
    contact_org_ids: frozenset[int] = frozenset()
    org_by_contract: dict[int, int] = field(default_factory=dict)

    def roles_on(self, contract_id: int) -> frozenset[str]:
        return self.roles_by_contract.get(contract_id, frozenset())

    @property
    def roles(self) -> frozenset[str]:
        out: set[str] = set()
        for roles in self.roles_by_contract.values():
            out |= roles
        return frozenset(out)

    @property
    def is_staff_member(self) -> bool:
        return bool(self.staff_contract_ids)


def access_for(user: User) -> Access:
    """The user's grants, cached on the user object (one query per request)."""
    cached: Access | None = getattr(user, "_opsdesk_access", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False):
        return Access()
    # Read fresh for every request (never cached across requests): a revoked grant stops working at once.
    access = _access_from_grants(sql.fetch_all(_grants_sql(), [user.pk]))
    user._opsdesk_access = access  # type: ignore[attr-defined]
    return access


def _access_from_grants(grants: Iterable[tuple[int, str, int]]) -> Access:
    """Access from (contract id, role, the contract's organisation id) rows."""
    by_contract: dict[int, set[str]] = {}
    org_by_contract: dict[int, int] = {}
    for contract_id, role, org_id in grants:
        by_contract.setdefault(contract_id, set()).add(role)
        org_by_contract[contract_id] = org_id
    staff = frozenset(cid for cid, roles in by_contract.items() if roles - CLIENT_ROLES)
    contact_orgs = frozenset(org_by_contract[cid] for cid, roles in by_contract.items()
                             if Role.CLIENT_CONTACT in roles)
    return Access(roles_by_contract={k: frozenset(v) for k, v in by_contract.items()},
                  staff_contract_ids=staff, contact_org_ids=contact_orgs, org_by_contract=org_by_contract)


@cache
def _grants_sql() -> str:
    return (f"SELECT g.{q('contract_id')}, g.{q('role')}, c.{q('organisation_id')} "
            f"FROM {q(RoleGrant._meta.db_table)} g "
            f"JOIN {q(Contract._meta.db_table)} c ON c.{q('id')} = g.{q('contract_id')} "
            f"WHERE g.{q('user_id')} = %s")


def forget_access(user: User) -> None:
    if hasattr(user, "_opsdesk_access"):
        del user._opsdesk_access


def ticket_visibility_q(user: User, *, requester: str = "requester_id", organisation: str = "organisation_id",
                        contract: str = "contract_id") -> Q:
    """The filter that limits any ticket query to what `user` may see.

    Requesters see their own tickets, client contacts their organisation's, staff the contracts they hold a
    role on. Nobody else sees anything (superusers included: they administer, they do not work tickets).
    """
    access = access_for(user)
    q = Q(**{requester: user.pk})
    if access.contact_org_ids:
        q |= Q(**{f"{organisation}__in": sorted(access.contact_org_ids)})
    if access.staff_contract_ids:
        q |= Q(**{f"{contract}__in": sorted(access.staff_contract_ids)})
    return q


def staff_contracts_q(user: User, field: str = "contract_id") -> Q:
    """Rows of the contracts `user` works on as contractor staff (`field` names the contract column); nothing
    for anyone else. The visibility rule of every staff-only register: CMDB, assets, the store, problems."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    return Q(**{f"{field}__in": sorted(access_for(user).staff_contract_ids)})


def contract_list(*, visible_to: User, role_in: frozenset[str] | None = None) -> QuerySet[Contract]:
    """Contracts the user holds a role on (optionally one of `role_in`), for pickers and filters."""
    access = access_for(visible_to)
    ids = [cid for cid, roles in access.roles_by_contract.items() if role_in is None or roles & role_in]
    return Contract.objects.filter(pk__in=ids, is_active=True).select_related("organisation").order_by("code")


@cache
def _contract_sql() -> str:
    return (f"SELECT {sql.select_list(Contract, 'c')}, {sql.select_list(Organisation, 'o')} "
            f"FROM {q(Contract._meta.db_table)} c JOIN {q(Organisation._meta.db_table)} o "
            f"ON o.{q('id')} = c.{q('organisation_id')} WHERE c.{q('code')} = %s")


def contract_get(*, code: str, visible_to: User) -> Contract:
    """A contract by code (its organisation joined), if the user holds any role on it; NotFound otherwise."""
    row = sql.fetch_one(_contract_sql(), [code])
    if row is None:
        raise NotFound(code="contract_not_found")
    contract, end = sql.from_row(Contract, row)
    contract.organisation, _end = sql.from_row(Organisation, row, end)
    if contract.pk not in access_for(visible_to).roles_by_contract:
        raise NotFound(code="contract_not_found")
    return contract


def staff_on_contract(*, contract_id: int, roles: frozenset[str] = SERVICE_ROLES) -> QuerySet[User]:
    """People holding one of `roles` on a contract (assignee and engineer pickers)."""
    return (User.objects.filter(is_active=True, grants__contract_id=contract_id, grants__role__in=roles)
            .distinct().order_by("full_name", "username"))


@cache
def _staff_sql() -> str:
    return (f"SELECT u.{q('username')}, u.{q('full_name')}, g.{q('role')} FROM {q(RoleGrant._meta.db_table)} g "
            f"JOIN {q(User._meta.db_table)} u ON u.{q('id')} = g.{q('user_id')} "
            f"WHERE g.{q('contract_id')} = %s AND u.{q('is_active')} ORDER BY u.{q('full_name')}, u.{q('username')}")


def staff_picker(record: Any, roles: frozenset[str]) -> list[tuple[str, str]]:
    """(username, name) of the people holding one of `roles` on `record`'s contract, as staff_on_contract
    orders them, for the pickers of action forms. A page offers several pickers of one record (dispatch,
    escalate, reassign): the contract's staff are read once per record instance, in one statement."""
    staff = record.__dict__.get("_contract_staff")
    if staff is None:
        held: dict[str, tuple[str, set[str]]] = {}
        for username, full_name, role in sql.fetch_all(_staff_sql(), [record.contract_id]):
            held.setdefault(username, (full_name or username, set()))[1].add(role)
        staff = record.__dict__["_contract_staff"] = [(u, name, frozenset(r)) for u, (name, r) in held.items()]
    return [(username, name) for username, name, their_roles in staff if their_roles & roles]


def requesters_for_contract(*, contract: Contract) -> QuerySet[User]:
    """People who may be the requester of a ticket on `contract`: members of the client organisation."""
    return User.objects.filter(is_active=True, organisation_id=contract.organisation_id)


@cache
def _requester_sql() -> str:
    return (f"SELECT {sql.select_list(User, 'u')} FROM {q(User._meta.db_table)} u "
            f"WHERE u.{q('username')} = %s AND u.{q('organisation_id')} = %s AND u.{q('is_active')}")


def requester_get(*, contract: Contract, username: str) -> User | None:
    """The person `username` if they may be the requester of a ticket on `contract` (see above), else None."""
    row = sql.fetch_one(_requester_sql(), [username, contract.organisation_id])
    return sql.from_row(User, row)[0] if row is not None else None


def _served_org_ids(user: User) -> set[int]:
    """The client organisations `user` serves as contractor staff (whose people may call the hotline)."""
    access = access_for(user)
    return {access.org_by_contract[cid] for cid in access.staff_contract_ids}


# Separators people type in phone numbers; the stored numbers are compared with them removed too.
PHONE_SEPARATORS = (" ", "-", "(", ")", "（", "）", ".", "+", "\u3000")
_PHONE_QUERY_RE = re.compile(r"^[\d\s\-+().（）\u3000]*(?:(?:ext\.?|x|转|分机|#)\s*\d{1,6})?\s*$", re.IGNORECASE)
_EXTENSION_RE = re.compile(r"(?:ext\.?|x|转|分机|#)\s*\d{1,6}\s*$", re.IGNORECASE)
# Area codes with three digits (010 Beijing, 02x big cities); every other area code has four.
_SHORT_AREA_RE = re.compile(r"^0(?:10|2\d)")
MIN_PHONE_DIGITS = 4


def phone_key(query: str) -> str | None:
    """The digits that identify a phone number however it was typed, or None when `query` is not a number.

    Separators go; an extension (`转 808`, `ext 808`, `x808`, or a third dash group after a landline) goes;
    the country prefix (+86, 0086, 86 before a mobile) goes; a landline's area code goes, so that
    `010-6552 1234`, `(010)65521234` and `65521234` give the same key (the local number). A mobile gives
    its 11 digits; fewer digits (at least four: the tail of a number) are used as they are.
    """
    text = query.strip()
    if not text or not _PHONE_QUERY_RE.match(text):
        return None
    text = _EXTENSION_RE.sub("", text).strip()
    groups = re.findall(r"\d+", text)
    if len(groups) == 3 and groups[0].startswith("0") and 3 <= len(groups[0]) <= 4 \
            and 7 <= len(groups[1]) <= 8 and len(groups[2]) <= 6:
        groups = groups[:2]  # 010-65521234-808: the last group is the extension
    digits = "".join(groups)
    international = True
    if text.startswith("+") and digits.startswith("86"):
        digits = digits[2:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("861"):
        digits = digits[2:]
    else:
        international = False
    if international and not (len(digits) == 11 and digits.startswith("1")) and len(digits) >= 9:
        digits = "0" + digits  # +86 10 6552 1234: the area code is dialled without its 0 from abroad
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    if len(digits) == 11 and digits.startswith("1"):
        return digits  # a mobile number
    if digits.startswith("0") and len(digits) >= 10:  # a landline with its area code
        return digits[3:] if _SHORT_AREA_RE.match(digits) else digits[4:]
    return digits


def normalised_phone(field: str = "phone") -> Replace:
    """A stored phone number without its separators (in SQL, so a lookup stays one query)."""
    expr = Replace(F(field), Value(PHONE_SEPARATORS[0]), Value(""))
    for sep in PHONE_SEPARATORS[1:]:
        expr = Replace(expr, Value(sep), Value(""))
    return expr


def caller_lookup(*, visible_to: User, query: str, limit: int = 10) -> list[User]:
    """Find callers by phone number or name among the client organisations the agent serves.

    A number matches however it is typed or stored (see phone_key): with spaces or dashes, +86 / 0086, a
    landline with or without its area code and extension, or just its last four or more digits. Anything
    else is looked for in names and usernames.
    """
    query = query.strip()
    if not query:
        return []
    org_ids = _served_org_ids(visible_to)
    if not org_ids:
        return []
    qs = User.objects.filter(is_active=True, organisation_id__in=org_ids).select_related(
        "organisation", "department")
    if any(ch.isdigit() for ch in query) and _PHONE_QUERY_RE.match(query):
        key = phone_key(query)
        if key is None:
            return []
        qs = qs.annotate(phone_digits=normalised_phone()).filter(phone_digits__contains=key)
    else:
        qs = qs.filter(Q(full_name__icontains=query) | Q(username__icontains=query))
    return list(qs.order_by("full_name", "username")[:limit])


TOKEN_FIELDS = ("id", "user_id", "last_used_at")


@cache
def _token_sql() -> str:
    # The token, its owner and the owner's grants in one statement: one row per grant (one row, its grant
    # columns NULL, for a user with none).
    return (f"SELECT {sql.select_list(ApiToken, 't', TOKEN_FIELDS)}, {sql.select_list(User, 'u')}, "
            f"g.{q('contract_id')}, g.{q('role')}, c.{q('organisation_id')} "
            f"FROM {q(ApiToken._meta.db_table)} t JOIN {q(User._meta.db_table)} u ON u.{q('id')} = t.{q('user_id')} "
            f"LEFT JOIN {q(RoleGrant._meta.db_table)} g ON g.{q('user_id')} = u.{q('id')} "
            f"LEFT JOIN {q(Contract._meta.db_table)} c ON c.{q('id')} = g.{q('contract_id')} "
            f"WHERE t.{q('digest')} = %s AND NOT t.{q('revoked')} AND u.{q('is_active')}")


def api_token_get(raw: str) -> ApiToken | None:
    """The unrevoked API token with this value, of an active user (joined, with the user's grants), or None.

    Read from the database on every call, never cached: revoking a token, deactivating its owner or
    revoking a grant takes effect on the very next request, in every process. One prepared statement
    (core.sql) reads the token, the user and the grants that `access_for` would otherwise read separately.
    """
    rows = sql.fetch_all(_token_sql(), [ApiToken.hash(raw)])
    if not rows:
        return None
    token, end = sql.from_row(ApiToken, rows[0], 0, TOKEN_FIELDS)
    token.user, end = sql.from_row(User, rows[0], end)
    token.user._opsdesk_access = _access_from_grants(  # type: ignore[attr-defined]
        (r[end], r[end + 1], r[end + 2]) for r in rows if r[end] is not None)
    return token


def user_by_token(raw: str) -> User | None:
    """The active user owning an unrevoked API token, or None."""
    token = api_token_get(raw)
    return token.user if token else None


def organisation_get(*, code: str) -> Organisation:
    org = one_or_none(Organisation.objects.filter(code=code))
    if org is None:
        raise NotFound(code="organisation_not_found")
    return org


def caller_get(*, visible_to: User, username: str) -> User | None:
    """A caller picked from `caller_lookup`, by username: only people of organisations the agent serves."""
    username = (username or "").strip()
    if not username:
        return None
    org_ids = _served_org_ids(visible_to)
    if not org_ids:
        return None
    return one_or_none(User.objects.filter(is_active=True, organisation_id__in=org_ids, username=username)
                       .select_related("organisation", "department"))


def colleagues_of(*, user: User, limit: int = 200) -> list[User]:
    """Contractor staff on the contracts `user` works on (the assignee / owner filter suggestions)."""
    ids = sorted(access_for(user).staff_contract_ids)
    if not ids:
        return []
    return list(User.objects.filter(is_active=True, grants__contract_id__in=ids, grants__role__in=SERVICE_ROLES)
                .distinct().order_by("full_name", "username")[:limit])

