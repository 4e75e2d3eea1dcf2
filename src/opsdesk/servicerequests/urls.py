from django.urls import path

from . import views

app_name = "servicerequests"

urlpatterns = [
    path("", views.request_list, name="request_list"),
    path("new/", views.request_create, name="request_create"),
    path("<str:number>/", views.request_detail, name="request_detail"),
    path("<str:number>/print/", views.request_print, name="request_print"),
    path("<str:number>/actions/<slug:action>/", views.request_action, name="request_action"),
    path("<str:number>/comments/", views.request_comment, name="request_comment"),
]
