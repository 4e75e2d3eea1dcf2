"""Roles (岗位) of DOMAIN.md, by code; granted to a person per contract."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    CLIENT_CONTACT = "client_contact", _("Client contact")
    AGENT = "agent", _("Service desk agent")
    ENGINEER = "engineer", _("On-site engineer")
    SECOND_LINE = "second_line", _("Second-line engineer")
    REVIEWER = "reviewer", _("Problem reviewer")
    PROJECT_MANAGER = "project_manager", _("Project manager")
    APP_OWNER = "app_owner", _("Application owner")
    DIVISION_LEADER = "division_leader", _("Division leader")
    APP_DIVISION = "app_division", _("Application division")
    QUALITY_MANAGER = "quality_manager", _("Quality manager")
    EMERGENCY_LEAD = "emergency_lead", _("Emergency team lead")
    STORE_KEEPER = "store_keeper", _("Store keeper")
    VENDOR = "vendor", _("Vendor engineer")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


# Roles held by the client's people: they see tickets by who they are, not by the contracts they work on.
CLIENT_ROLES = frozenset({Role.REQUESTER, Role.CLIENT_CONTACT, Role.APP_OWNER, Role.DIVISION_LEADER,
                          Role.APP_DIVISION})
# Contractor (and vendor) staff: a grant on a contract lets them see and work that contract's tickets.
STAFF_ROLES = frozenset(set(Role.values) - {Role.REQUESTER, Role.CLIENT_CONTACT})
# The people who work incidents on the contractor's side.
SERVICE_ROLES = frozenset({Role.AGENT, Role.ENGINEER, Role.SECOND_LINE, Role.PROJECT_MANAGER, Role.VENDOR})


class OrganisationKind(models.TextChoices):
    CLIENT = "client", _("Client")
    CONTRACTOR = "contractor", _("Contractor")
    VENDOR = "vendor", _("Vendor")
