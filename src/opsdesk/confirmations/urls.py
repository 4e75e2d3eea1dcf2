from django.urls import path

from . import views

app_name = "confirmations"

urlpatterns = [
    path("", views.confirmation_list, name="confirmation_list"),
    path("new/", views.confirmation_create, name="confirmation_create"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/monthly/", views.report_generate, name="report_generate"),
    path("reports/<str:number>/", views.report_detail, name="report_detail"),
    path("reports/<str:number>/actions/<slug:action>/", views.report_action, name="report_action"),
    path("reports/<str:number>/items/<str:item_number>/answer/", views.item_answer, name="item_answer"),
    path("<str:number>/", views.confirmation_detail, name="confirmation_detail"),
    path("<str:number>/actions/<slug:action>/", views.confirmation_action, name="confirmation_action"),
]
