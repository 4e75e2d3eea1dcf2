from django.urls import path

from . import views

app_name = "sla"

urlpatterns = [
    path("", views.policy_list, name="policy_list"),
    path("policies/new/", views.policy_create, name="policy_create"),
    path("policies/<int:pk>/", views.policy_detail, name="policy_detail"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
    path("policies/<int:pk>/activate/", views.policy_activate, name="policy_activate"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/resolve/", views.alert_resolve, name="alert_resolve"),
]
