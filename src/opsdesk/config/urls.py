from django.contrib import admin
from django.urls import include, path

from opsdesk.core import views as core_views

from .api import api

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("opsdesk.accounts.urls")),
    path("incidents/", include("opsdesk.incidents.urls")),
    path("knowledge/", include("opsdesk.knowledge.urls")),
    path("problems/", include("opsdesk.problems.urls")),
    path("follow-ups/", include("opsdesk.followups.urls")),
    path("confirmations/", include("opsdesk.confirmations.urls")),
    path("service-requests/", include("opsdesk.servicerequests.urls")),
    path("cmdb/", include("opsdesk.cmdb.urls")),
    path("assets/", include("opsdesk.assets.urls")),
    path("supplies/", include("opsdesk.supplies.urls")),
    path("approvals/", core_views.my_approvals, name="my_approvals"),
    path("portal/", include("opsdesk.portal.urls")),
    path("search/", include("opsdesk.search.urls")),
    path("calendars/", include("opsdesk.calendars.urls")),
    path("sla/", include("opsdesk.sla.urls")),
    path("notifications/", include("opsdesk.notifications.urls")),
    path("mail/", include("opsdesk.mailin.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
