from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "opsdesk.problems"
    label = "problems"
    verbose_name = _("Problems")

    def ready(self) -> None:
        from opsdesk.search.registry import register

        from .adapters import ProblemAdapter

        register(ProblemAdapter())

        from opsdesk.followups.registry import TicketKind, register_ticket
        from opsdesk.incidents.models import Incident

        from .services import incident_followup_confirmed, incident_followup_sent_back

        register_ticket(TicketKind(model=Incident, label=_("Incident"), on_confirmed=incident_followup_confirmed,
                                   on_sent_back=incident_followup_sent_back))
