from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("workbench/", views.workbench, name="workbench"),
]
