from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "opsdesk.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from . import adapters, events

        adapters.register_all()
        events.connect()
