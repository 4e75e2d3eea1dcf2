from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.incident_create, name="incident_create"),
    path("new/self-help/", views.self_help_suggest, name="self_help_suggest"),
    path("incidents/<str:number>/", views.incident_detail, name="incident_detail"),
    path("incidents/<str:number>/actions/<slug:action>/", views.incident_action, name="incident_action"),
    path("incidents/<str:number>/comments/", views.incident_comment, name="incident_comment"),
    path("incidents/<str:number>/attachments/", views.incident_attach, name="incident_attach"),
    path("incidents/<str:number>/rating/", views.incident_rate, name="incident_rate"),
]
