"""Reads of the e-mail intake, scoped to the viewer: a contract's agents, project managers and system
administrators (and superusers) see its mailboxes and inbound mail; for everyone else they do not exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from opsdesk.accounts.choices import Role
from opsdesk.accounts.models import Contract, User
from opsdesk.accounts.selectors import access_for
from opsdesk.core.db import one_or_none
from opsdesk.core.errors import NotFound, ValidationError
from opsdesk.core.pagination import Page, keyset_page

from .choices import Outcome
from .models import InboundMessage, Mailbox

MAIL_MANAGERS = frozenset({Role.AGENT, Role.PROJECT_MANAGER, Role.SYSTEM_ADMIN})
LIST_COLUMNS = ("id", "mailbox", "contract", "message_id", "sender", "sender_name", "subject", "sent_at",
                "received_at", "size", "outcome", "reason", "incident", "handled_by", "imap_uid",
                "updated_at")


def managed_contract_ids(user: User) -> list[int] | None:
    """Contracts whose mail `user` manages; None means every contract (a superuser)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return None
    return sorted(cid for cid, roles in access_for(user).roles_by_contract.items() if roles & MAIL_MANAGERS)


def can_manage_mail(user: User, contract_id: int) -> bool:
    ids = managed_contract_ids(user)
    return ids is None or contract_id in ids


def can_see_mail_pages(user: User) -> bool:
    ids = managed_contract_ids(user)
    return ids is None or bool(ids)


def _scope(qs: QuerySet[Any], user: User) -> QuerySet[Any]:
    ids = managed_contract_ids(user)
    return qs if ids is None else qs.filter(contract_id__in=ids)


def managed_contracts(*, user: User) -> list[Contract]:
    """Active contracts the user may add mailboxes to, for the contract picker."""
    ids = managed_contract_ids(user)
    qs = Contract.objects.filter(is_active=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return list(qs.order_by("code"))


def find_sender(*, contract: Contract, address: str) -> User | None:
    """The active person with this e-mail address (any case) who holds a role on the contract; with several,
    the oldest account."""
    if not address:
        return None
    return one_or_none(User.objects.filter(email__iexact=address, is_active=True, grants__contract=contract)
                       .distinct().order_by("id"))


def mailbox_list(*, visible_to: User) -> list[Mailbox]:
    """The mailboxes of the contracts the viewer manages, with their contracts."""
    return list(_scope(Mailbox.objects.all(), visible_to).select_related("contract").order_by("contract__code", "name"))


def mailbox_get(*, pk: int, visible_to: User) -> Mailbox:
    mailbox: Mailbox | None = one_or_none(_scope(Mailbox.objects.filter(pk=pk), visible_to).select_related("contract"))
    if mailbox is None:
        raise NotFound(_("There is no such mailbox."), code="mailbox_not_found")
    return mailbox


def enabled_mailboxes() -> list[Mailbox]:
    """Every mailbox the poller reads (system use: no viewer)."""
    return list(Mailbox.objects.filter(enabled=True, contract__is_active=True).select_related("contract")
                .order_by("id"))


@dataclass
class MessageFilters:
    outcome: str = ""
    contract: str = ""
    q: str = ""

    @classmethod
    def parse(cls, params: Any) -> MessageFilters:
        outcome = str(params.get("outcome") or "").strip()
        if outcome and outcome not in Outcome.values:
            raise ValidationError(fields={"outcome": _("Unknown outcome.")})
        return cls(outcome=outcome, contract=str(params.get("contract") or "").strip()[:40],
                   q=str(params.get("q") or "").strip()[:200])


def message_page(*, visible_to: User, filters: MessageFilters, cursor: str | None = None,
                 limit: int = 50) -> Page:
    """One page of the inbound-mail log, newest first (raw bytes left in the database)."""
    qs = _scope(InboundMessage.objects.all(), visible_to)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    if filters.contract:
        qs = qs.filter(contract__code=filters.contract)
    if filters.q:
        qs = qs.filter(Q(sender__icontains=filters.q) | Q(subject__icontains=filters.q)
                       | Q(message_id__icontains=filters.q) | Q(incident__number=filters.q.upper()))
    qs = qs.select_related("contract", "incident", "mailbox").only(
        *LIST_COLUMNS, "contract__code", "contract__name", "incident__number", "mailbox__name")
    return keyset_page(qs, order=("-id",), limit=limit, cursor=cursor)


def message_get(*, pk: int, visible_to: User, with_raw: bool = False) -> InboundMessage:
    qs = _scope(InboundMessage.objects.filter(pk=pk), visible_to).select_related(
        "contract", "incident", "mailbox", "handled_by")
    if not with_raw:
        qs = qs.defer("raw")
    message: InboundMessage | None = one_or_none(qs)
    if message is None:
        raise NotFound(_("There is no such message."), code="inbound_message_not_found")
    return message


def contract_people(*, contract_id: int) -> QuerySet[User]:
    """People with a role on the contract: whom a quarantined message may be processed as."""
    return (User.objects.filter(is_active=True, grants__contract_id=contract_id).distinct()
            .order_by("full_name", "username"))
