from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="notification_list"),
    path("bell/", views.notification_bell, name="notification_bell"),
    path("read-all/", views.notification_read_all, name="notification_read_all"),
    path("settings/", views.preferences_edit, name="preferences_edit"),
    path("robots/", views.robot_list, name="robot_list"),
    path("robots/new/", views.robot_create, name="robot_create"),
    path("robots/<int:robot_id>/edit/", views.robot_edit, name="robot_edit"),
    path("robots/<int:robot_id>/disable/", views.robot_disable, name="robot_disable"),
    path("robots/<int:robot_id>/test/", views.robot_test, name="robot_test"),
    path("log/", views.delivery_list, name="delivery_list"),
    path("<int:notification_id>/", views.notification_open, name="notification_open"),
]
