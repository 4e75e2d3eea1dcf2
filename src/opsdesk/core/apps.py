from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "opsdesk.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from opsdesk.config import schedule  # noqa: F401  (registers every periodic job with Huey)
