from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="incident_list"),
    path("workbench/", views.workbench, name="workbench"),
    path("new/", views.incident_create, name="incident_create"),
    path("callers/", views.caller_search, name="caller_search"),
    path("callers/recent/", views.caller_recent, name="caller_recent"),
    path("calls/", views.call_list, name="call_list"),
    path("suggestions/", views.incident_suggestions, name="incident_suggestions"),
    path("<str:number>/", views.incident_detail, name="incident_detail"),
    path("<str:number>/actions/<slug:action>/", views.incident_action, name="incident_action"),
    path("<str:number>/comments/", views.incident_comment, name="incident_comment"),
    path("<str:number>/apply-article/", views.incident_apply_article, name="incident_apply_article"),
    path("<str:number>/attachments/", views.incident_attach, name="incident_attach"),
    path("<str:number>/calls/", views.incident_call_create, name="incident_call_create"),
    path("<str:number>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment_download"),
]
