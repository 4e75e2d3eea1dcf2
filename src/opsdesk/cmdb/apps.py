from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmdbConfig(AppConfig):
    name = "opsdesk.cmdb"
    label = "cmdb"
    verbose_name = _("Configuration management")
