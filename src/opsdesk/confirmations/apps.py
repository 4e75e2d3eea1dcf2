from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfirmationsConfig(AppConfig):
    name = "opsdesk.confirmations"
    label = "confirmations"
    verbose_name = _("Bug and requirement confirmation")

    def ready(self) -> None:
        from opsdesk.core.approvals import register

        from .selectors import pending_approvals

        register(pending_approvals)
