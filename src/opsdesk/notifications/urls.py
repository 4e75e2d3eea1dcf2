from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="notification_list"),
    path("bell/", views.notification_bell, name="notification_bell"),
    path("read-all/", views.notification_read_all, name="notification_read_all"),
    path("<int:notification_id>/", views.notification_open, name="notification_open"),
]
