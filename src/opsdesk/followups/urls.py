from django.urls import path

from . import views

app_name = "followups"

urlpatterns = [
    path("", views.followup_list, name="followup_list"),
    path("<str:number>/", views.followup_detail, name="followup_detail"),
    path("<str:number>/actions/<slug:action>/", views.followup_action, name="followup_action"),
]
