from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    name = "opsdesk.assets"
    label = "assets"
    verbose_name = _("Assets")

    def ready(self) -> None:
        from opsdesk.core.approvals import register

        from .selectors import pending_approvals

        register(pending_approvals)
