"""Every write to organisations, contracts, people, grants and tokens. Each is atomic and audited."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.audit import audit_record, snapshot
from opsdesk.core.errors import ValidationError

from .choices import OrganisationKind, Role
from .models import ApiToken, Contract, Department, Organisation, RoleGrant, User
from .selectors import forget_access


@transaction.atomic
def organisation_create(*, by: User | None, code: str, name: str,
                        kind: str = OrganisationKind.CLIENT, phone: str = "", address: str = "") -> Organisation:
    """Create an organisation (client, contractor or vendor)."""
    errors = {}
    if not code.strip():
        errors["code"] = _("This field is required.")
    elif Organisation.objects.filter(code=code).exists():
        errors["code"] = _("An organisation with this code already exists.")
    if not name.strip():
        errors["name"] = _("This field is required.")
    if kind not in OrganisationKind.values:
        errors["kind"] = _("Unknown organisation kind.")
    if errors:
        raise ValidationError(fields=errors)
    org = Organisation.objects.create(code=code.strip(), name=name.strip(), kind=kind, phone=phone, address=address)
    audit_record(actor=by, action="organisation.create", instance=org,
                 after=snapshot(org, ["code", "name", "kind"]))
    return org


@transaction.atomic
def department_create(*, by: User | None, organisation: Organisation, name: str,
                      parent: Department | None = None) -> Department:
    """Create a department of an organisation."""
    if not name.strip():
        raise ValidationError(fields={"name": _("This field is required.")})
    dept = Department.objects.create(organisation=organisation, name=name.strip(), parent=parent)
    audit_record(actor=by, action="department.create", instance=dept,
                 after=snapshot(dept, ["organisation", "parent", "name"]))
    return dept


@transaction.atomic
def contract_create(*, by: User | None, code: str, name: str, organisation: Organisation,
                    service_scope: str = "", starts_on: dt.date | None = None,
                    ends_on: dt.date | None = None,
                    close_on_confirmation: bool = True) -> Contract:
    """Create a service contract with a client organisation."""
    errors = {}
    if not code.strip():
        errors["code"] = _("This field is required.")
    elif Contract.objects.filter(code=code).exists():
        errors["code"] = _("A contract with this code already exists.")
    if not name.strip():
        errors["name"] = _("This field is required.")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("The end date is before the start date.")
    if errors:
        raise ValidationError(fields=errors)
    contract = Contract.objects.create(code=code.strip(), name=name.strip(), organisation=organisation,
                                       service_scope=service_scope, starts_on=starts_on, ends_on=ends_on,
                                       close_on_confirmation=close_on_confirmation)
    audit_record(actor=by, action="contract.create", instance=contract,
                 after=snapshot(contract, ["code", "name", "organisation", "starts_on", "ends_on"]))
    return contract


@transaction.atomic
def user_create(*, by: User | None, username: str, password: str | None = None, full_name: str = "",
                phone: str = "", email: str = "", organisation: Organisation | None = None,
                department: Department | None = None, is_superuser: bool = False,
                check_password: bool = True) -> User:
    """Create a person. Without a password the account cannot log in until one is set."""
    errors = {}
    username = username.strip()
    if not username:
        errors["username"] = _("This field is required.")
    elif len(username) > 150:
        errors["username"] = _("At most %(n)d characters.") % {"n": 150}
    elif User.objects.filter(username=username).exists():
        errors["username"] = _("This username is taken.")
    if password and check_password:
        try:
            validate_password(password)
        except DjangoValidationError as exc:
            errors["password"] = " ".join(exc.messages)
    if errors:
        raise ValidationError(fields=errors)
    user = User(username=username, full_name=full_name.strip(), phone=phone.strip(), email=email.strip(),
                organisation=organisation, department=department, is_superuser=is_superuser,
                is_staff=is_superuser)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(actor=by, action="user.create", instance=user,
                 after=snapshot(user, ["username", "full_name", "organisation", "is_superuser"]))
    return user


@transaction.atomic
def role_grant(*, by: User | None, user: User, role: str, contract: Contract) -> RoleGrant:
    """Grant `role` on `contract` to `user` (idempotent)."""
    if role not in Role.values:
        raise ValidationError(fields={"role": _("Unknown role “%(role)s”.") % {"role": role}})
    grant, created = RoleGrant.objects.get_or_create(user=user, role=role, contract=contract)
    if created:
        audit_record(actor=by, action="role.grant", instance=grant,
                     after={"user": user.username, "role": role, "contract": contract.code})
    forget_access(user)
    return grant


@transaction.atomic
def role_revoke(*, by: User | None, user: User, role: str, contract: Contract) -> None:
    """Take `role` on `contract` away from `user`."""
    deleted, _rows = RoleGrant.objects.filter(user=user, role=role, contract=contract).delete()
    if deleted:
        audit_record(actor=by, action="role.revoke", object_type="accounts.rolegrant", object_id=str(user.pk),
                     object_repr=str(user), before={"user": user.username, "role": role, "contract": contract.code})
    forget_access(user)


@transaction.atomic
def api_token_create(*, by: User | None, user: User, name: str = "") -> str:
    """Create an API token for `user`; return the raw token (shown once, only its hash is kept)."""
    raw = "ods_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=raw[:12], digest=ApiToken.hash(raw))
    audit_record(actor=by, action="api_token.create", instance=token, after={"user": user.username, "name": name})
    return raw


TOKEN_USE_RESOLUTION = dt.timedelta(minutes=5)


def api_token_touch(*, token: ApiToken) -> None:
    """Note that a token was used, at most every five minutes (a write per API call would cost more than
    knowing the minute). Not audited: it records use, not a change anyone made."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
