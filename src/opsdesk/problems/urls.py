from django.urls import path

from . import views

app_name = "problems"

urlpatterns = [
    path("", views.problem_list, name="problem_list"),
    path("new/", views.problem_create, name="problem_create"),
    path("<str:number>/", views.problem_detail, name="problem_detail"),
    path("<str:number>/actions/<slug:action>/", views.problem_action, name="problem_action"),
    path("<str:number>/incidents/", views.problem_link, name="problem_link"),
    path("<str:number>/incidents/<str:incident_number>/unlink/", views.problem_unlink, name="problem_unlink"),
    path("<str:number>/comments/", views.problem_comment, name="problem_comment"),
    path("<str:number>/knowledge/", views.problem_knowledge, name="problem_knowledge"),
]
