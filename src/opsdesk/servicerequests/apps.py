from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicerequestsConfig(AppConfig):
    name = "opsdesk.servicerequests"
    label = "servicerequests"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from opsdesk.core.approvals import register
        from opsdesk.followups.registry import TicketKind, register_ticket

        from .models import ServiceRequest
        from .selectors import pending_approvals
        from .services import followup_confirmed, followup_sent_back

        register_ticket(TicketKind(model=ServiceRequest, label=_("Service request"),
                                   on_confirmed=followup_confirmed, on_sent_back=followup_sent_back))
        register(pending_approvals)
