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
