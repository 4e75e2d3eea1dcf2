from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list, name="article_list"),
    path("review/", views.review_queue, name="review_queue"),
    path("new/", views.article_create, name="article_create"),
    path("self-help/", views.self_help_list, name="self_help_list"),
    path("self-help/<str:number>/", views.self_help_detail, name="self_help_detail"),
    path("from-incident/<str:incident_number>/", views.article_from_incident, name="article_from_incident"),
    path("<str:number>/", views.article_detail, name="article_detail"),
    path("<str:number>/edit/", views.article_edit, name="article_edit"),
    path("<str:number>/actions/<slug:action>/", views.article_action, name="article_action"),
    path("<str:number>/solved/", views.article_solved, name="article_solved"),
]
